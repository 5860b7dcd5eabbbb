"""What the service reads share: open statuses, the refusal texts."""

from kehu.service.models import (
    Case,
    CaseType,
    Priority,
)

OPEN_STATUSES = (Case.Status.NEW, Case.Status.IN_PROGRESS, Case.Status.WAITING)
# Statuses whose SLA clock runs; waiting on the customer stops it.
RUNNING_STATUSES = (Case.Status.NEW, Case.Status.IN_PROGRESS)

# Business minutes (response, resolution) by type and priority, used until an admin edits them.
HOUR = 60
DAY = 9 * HOUR  # one business day of the default 09:00–18:00
DEFAULT_SLA: dict[tuple[str, str], tuple[int, int]] = {
    (CaseType.COMPLAINT, Priority.URGENT): (1 * HOUR, 1 * DAY),
    (CaseType.COMPLAINT, Priority.HIGH): (2 * HOUR, 2 * DAY),
    (CaseType.COMPLAINT, Priority.NORMAL): (4 * HOUR, 3 * DAY),
    (CaseType.COMPLAINT, Priority.LOW): (1 * DAY, 5 * DAY),
    (CaseType.AFTER_SALES, Priority.URGENT): (2 * HOUR, 1 * DAY),
    (CaseType.AFTER_SALES, Priority.HIGH): (4 * HOUR, 3 * DAY),
    (CaseType.AFTER_SALES, Priority.NORMAL): (1 * DAY, 5 * DAY),
    (CaseType.AFTER_SALES, Priority.LOW): (2 * DAY, 10 * DAY),
    (CaseType.QUESTION, Priority.URGENT): (2 * HOUR, 1 * DAY),
    (CaseType.QUESTION, Priority.HIGH): (4 * HOUR, 2 * DAY),
    (CaseType.QUESTION, Priority.NORMAL): (1 * DAY, 3 * DAY),
    (CaseType.QUESTION, Priority.LOW): (2 * DAY, 5 * DAY),
}
