"""Sending risk alerts: one notification per alert to the customer's owner and the managers
of the customer's team — or, when one person gets more than ``STORM_LIMIT`` in one run, a single
notification that points to the alert list, so a nightly run never floods anyone."""

from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts.models import Membership, User
from kehu.core.i18n import in_language_of
from kehu.customers.models import Customer
from kehu.interactions.models import Notification
from kehu.interactions.notifications import Topic, notifications_email, wants
from kehu.oversight.models import RiskAlert, RiskLevel

STORM_LIMIT = 5
ID_SLICE = 900  # ids a query: under SQLite's oldest limit of 999 bound values


def alert_recipients(customers: list[Customer]) -> dict[int, set[int]]:
    """Customer id → ids of the users told: the owner and the managers of its team (or, with no
    team, of the owner's teams)."""
    teams = {c.team_id for c in customers if c.team_id}
    owners = {c.owner_id for c in customers if c.owner_id}
    managers_of_team: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Membership.objects.filter(
        team_id__in=teams, is_manager=True
    ).values_list("team_id", "user_id"):
        managers_of_team[team_id].add(user_id)
    teams_of_owner: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in Membership.objects.filter(user_id__in=owners).values_list(
        "user_id", "team_id"
    ):
        teams_of_owner[user_id].add(team_id)
    extra = {t for ts in teams_of_owner.values() for t in ts} - teams
    for team_id, user_id in Membership.objects.filter(
        team_id__in=extra, is_manager=True
    ).values_list("team_id", "user_id"):
        managers_of_team[team_id].add(user_id)
    out: dict[int, set[int]] = {}
    for c in customers:
        users: set[int] = set()
        if c.owner_id:
            users.add(c.owner_id)
        team_ids = {c.team_id} if c.team_id else teams_of_owner.get(c.owner_id or 0, set())
        for team_id in team_ids:
            users |= managers_of_team.get(team_id, set())
        out[c.pk] = users
    return out


def alerts_send(alerts: list[RiskAlert]) -> int:
    """Notify the people each alert concerns; returns how many notifications were written."""
    if not alerts:
        return 0
    ids = [a.customer_id for a in alerts]
    by_customer = {}
    # In slices: a first run over a large archive raises an alert for every customer at risk
    # (335,926 of 1,000,000 in the demo), more ids than one SQLite statement may bind.
    for start in range(0, len(ids), ID_SLICE):
        for c in Customer.objects.filter(pk__in=ids[start : start + ID_SLICE]).only(
            "pk", "name", "owner_id", "team_id"
        ):
            by_customer[c.pk] = c
    recipients = alert_recipients(list(by_customer.values()))
    per_user: dict[int, list[RiskAlert]] = defaultdict(list)
    for alert in alerts:
        for user_id in recipients.get(alert.customer_id, ()):
            per_user[user_id].append(alert)
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=list(per_user), is_active=True).only("pk", "language")
    }
    notes = []
    for user_id, mine in per_user.items():
        user = users.get(user_id)
        if user is None or not wants(user, Topic.RISK):
            continue
        with in_language_of(user):
            if len(mine) > STORM_LIMIT:
                notes.append(
                    Notification(
                        user=user,
                        text=_("%(n)s customers entered a higher risk level.") % {"n": len(mine)},
                        url=reverse("oversight:alerts"),
                    )
                )
                continue
            for alert in mine:
                customer = by_customer[alert.customer_id]
                text = _("Risk of %(name)s rose to %(level)s.") % {
                    "name": customer.name,
                    "level": RiskLevel(alert.level).label,
                }
                notes.append(
                    Notification(user=user, text=text[:300], url=customer.get_absolute_url())
                )
    Notification.objects.bulk_create(notes, batch_size=2000)
    notifications_email(notes, Topic.RISK)
    return len(notes)
