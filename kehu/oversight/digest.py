"""The weekly digest: headline figures and what needs attention, by e-mail to leaders and team
managers (Django's ``send_mail``; the console back end unless e-mail is configured)."""

from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Membership, Role, User
from kehu.core.i18n import in_language_of
from kehu.oversight.kpis import KpiFilters, dashboard_kept


def digest_text(user: User) -> str:
    board = dashboard_kept(user=user, filters=KpiFilters(period="month"), fresh=True)
    f = board.figures
    lines = [
        _("Kehu weekly digest, %(start)s – %(end)s")
        % {"start": board.span.start, "end": board.span.end},
        "",
        _("Revenue: %(v)s (target %(t)s)")
        % {"v": f["revenue"], "t": board.targets["revenue"] or "—"},
        _("Collections: %(v)s (target %(t)s)")
        % {"v": f["collected"], "t": board.targets["collected"] or "—"},
        _("New customers: %(v)s") % {"v": f["new_customers"]},
        _("Forecast: %(v)s") % {"v": f["forecast"]},
        _("Overdue receivables: %(v)s (%(n)s customers)")
        % {"v": f["overdue"], "n": f["overdue_customers"]},
        _("Customers at high risk: %(n)s, medium: %(m)s")
        % {"n": board.risks["high"], "m": board.risks["medium"]},
        _("Complaints: %(n)s; SLA compliance: %(s)s%%")
        % {
            "n": f["complaints"],
            "s": f["sla_compliance"] if f["sla_compliance"] is not None else "—",
        },
    ]
    return "\n".join(lines)


def digest_recipients() -> list[User]:
    """Active leaders and team managers with an e-mail address who keep the digest on."""
    managers = Membership.objects.filter(is_manager=True).values("user_id")
    return list(
        User.objects.filter(is_active=True, weekly_digest=True)
        .exclude(email="")
        .filter(Q(role=Role.LEADER) | Q(pk__in=managers))
        .order_by("id")
    )


def digest_send_all() -> int:
    sent = 0
    for user in digest_recipients():
        with in_language_of(user):
            subject = _("Kehu weekly digest") + f" {timezone.localdate():%Y-%m-%d}"
            sent += send_mail(subject, digest_text(user), None, [user.email])
    return sent
