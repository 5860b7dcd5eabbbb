"""What the service writes share: the case transitions, events and the assignee check."""

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import (
    can_work_cases,
)
from kehu.service.models import (
    Case,
    CaseEvent,
)

SETTINGS_REFUSED = gettext_lazy("Only administrators may change the service settings.")

S = Case.Status
# Allowed moves; a resolved case may be reopened, a closed one is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.IN_PROGRESS, S.WAITING, S.RESOLVED),
    S.IN_PROGRESS: (S.WAITING, S.RESOLVED),
    S.WAITING: (S.IN_PROGRESS, S.RESOLVED),
    S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (),
}
RATEABLE = (S.RESOLVED, S.CLOSED)
MAX_TEXT = 10000


def _event(
    case: Case,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    key: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        customer_id=case.customer_id,
        kind=kind,
        by=by,
        at=at,
        from_status=from_status,
        to_status=to_status,
        note=note,
        key=key,
    )


def _check_assignee(assignee: User | None, errors: dict[str, list[str]]) -> None:
    if assignee is not None and not (assignee.is_active and can_work_cases(assignee)):
        errors["assigned_to"] = [_("Cases can be assigned only to active service staff.")]
