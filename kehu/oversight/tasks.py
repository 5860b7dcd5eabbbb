"""Background work: risks recomputed every night for the whole archive (then the kept
dashboards) and every ten minutes for the customers whose facts changed; a dashboard kept
again when a reader found it out of date; the weekly digest to leaders and managers."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.oversight.digest import digest_send_all
from kehu.oversight.risk import risk_run
from kehu.oversight.services import dashboard_keep_for, dashboards_keep_all


@db_periodic_task(crontab(hour="4", minute="10"))
def nightly_risk_run() -> None:
    """The whole archive's risks (ageing moves on every day), then the day's dashboards."""
    risk_run(full=True)
    dashboards_keep_all()


@db_periodic_task(crontab(minute="*/10"))
def risk_run_changed() -> None:
    """The risks of the customers whose payments, orders, cases, ratings, archive facts or
    contacts changed in the last minutes."""
    risk_run(full=False)


@db_task()
def risk_run_now() -> None:
    risk_run(full=True)


@db_periodic_task(crontab(day_of_week="1", hour="8", minute="30"))
def weekly_digest() -> None:
    digest_send_all()


@db_task()
def keep_dashboard(user_id: int, period: str, on: str, team_id: int | None, day: str) -> None:
    """Compute a dashboard and keep it (queued when a reader found it out of date)."""
    dashboard_keep_for(user_id, period, on, team_id, day)
