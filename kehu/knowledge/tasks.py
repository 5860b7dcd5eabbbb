"""The knowledge base's scheduled job."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.knowledge.questions import questions_escalate


@db_periodic_task(crontab(minute="*/5"))
def escalate_lapsed_questions() -> None:
    """Every five minutes: escalate questions past their SLA to the managers; idempotent."""
    questions_escalate()
