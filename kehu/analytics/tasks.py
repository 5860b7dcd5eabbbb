"""Background work of the analytics: refreshes asked for, and one every night."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.analytics.config import nightly_hour
from kehu.analytics.services import (
    analytics_run_execute,
    analytics_run_nightly,
    scope_figures_keep_for,
)


def _utc_hour(local_hour: int) -> int:
    """The queue schedules in UTC; the administrator gives a local hour."""
    offset = datetime.now(ZoneInfo(settings.TIME_ZONE)).utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset else 0
    return (local_hour - hours) % 24


@db_task()
def run_analytics_refresh(run_id: int) -> None:
    """Run a queued refresh; a run that started already is left alone."""
    analytics_run_execute(run_id=run_id)


@db_periodic_task(crontab(hour=str(_utc_hour(nightly_hour())), minute="30"))
def nightly_analytics_refresh() -> None:
    """Every night at KEHU_ANALYTICS_HOUR:30 local time: refresh every customer's figures."""
    analytics_run_nightly()


@db_task()
def keep_scope_figures(user_id: int) -> None:
    """Compute a viewer's overview figures from the latest refresh and keep them."""
    scope_figures_keep_for(user_id)
