"""The risk rules: their defaults, which thresholds each reads, and the sentence that explains a
hit. The rows in ``RiskRule`` hold what an administrator changed."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.oversight.models import RiskLevel, RiskRule

Code = RiskRule.Code

# Organization facts whose change is a warning sign (legal representative, name, address,
# credit rating, business trend); the codes of ``kehu.customers.fields``.
WATCHED_FACTS = (
    "name",
    "address",
    "organization.legal_representative",
    "organization.credit_rating",
    "organization.performance_trend",
    "organization.credit_code",
)


@dataclass(frozen=True)
class RuleSpec:
    level: int
    days: int | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    count: int | None = None


DEFAULTS: dict[str, RuleSpec] = {
    Code.OVERDUE: RuleSpec(RiskLevel.HIGH, days=60, amount=Decimal(0)),
    Code.CREDIT: RuleSpec(RiskLevel.HIGH, percent=Decimal(90)),
    Code.DECLINE: RuleSpec(RiskLevel.MEDIUM, days=90, percent=Decimal(50), amount=Decimal(0)),
    Code.COMPLAINTS: RuleSpec(RiskLevel.MEDIUM, days=90, count=2),
    Code.SLIPPING: RuleSpec(RiskLevel.MEDIUM, percent=Decimal(30)),
    Code.ORG_CHANGE: RuleSpec(RiskLevel.MEDIUM, days=30),
    Code.SILENCE: RuleSpec(RiskLevel.LOW, days=60),
}

# Which thresholds each rule reads, with what they mean (shown on the settings page).
THRESHOLDS: dict[str, dict[str, Any]] = {
    Code.OVERDUE: {
        "days": gettext_lazy("An open amount is overdue this many days after its order"),
        "amount": gettext_lazy("Hit when the overdue amount is above (CNY)"),
    },
    Code.CREDIT: {"percent": gettext_lazy("Hit when the credit limit is used to (%)")},
    Code.DECLINE: {
        "days": gettext_lazy("Length of the period compared with the one before (days)"),
        "percent": gettext_lazy("Hit when spending fell by at least (%)"),
        "amount": gettext_lazy("Only customers who spent more than this before (CNY)"),
    },
    Code.COMPLAINTS: {
        "days": gettext_lazy("Within the last (days)"),
        "count": gettext_lazy("Complaints and ratings of 1–2 stars, at least"),
    },
    Code.SLIPPING: {
        "percent": gettext_lazy("Probability of being active below (%), for A-tier customers"),
    },
    Code.ORG_CHANGE: {
        "days": gettext_lazy(
            "Legal representative, name, address or credit rating changed within (days)"
        )
    },
    Code.SILENCE: {"days": gettext_lazy("An important customer not contacted for (days)")},
}


def rules_all() -> list[RiskRule]:
    """Every rule, created with its defaults the first time it is asked for."""
    have = set(RiskRule.objects.values_list("code", flat=True))
    missing = [
        RiskRule(
            code=code,
            level=spec.level,
            days=spec.days,
            amount=spec.amount,
            percent=spec.percent,
            count=spec.count,
        )
        for code, spec in DEFAULTS.items()
        if code not in have
    ]
    if missing:
        RiskRule.objects.bulk_create(missing, ignore_conflicts=True)
    order = list(DEFAULTS)
    return sorted(RiskRule.objects.all(), key=lambda rule: order.index(rule.code))


def _fact_label(code: str) -> str:
    from kehu.customers.fields import BUILTIN_BY_CODE

    spec = BUILTIN_BY_CODE.get(code)
    return str(spec.label) if spec else code


def _money(value: Any) -> str:
    return f"¥{Decimal(str(value)):,.2f}"


def reason_text(reason: dict[str, Any]) -> str:
    """One reason as a sentence in the active language."""
    f = reason.get("figures", {})
    rule = reason.get("rule")
    if rule == Code.OVERDUE:
        return _("%(amount)s overdue; the oldest open order is %(days)s days old.") % {
            "amount": _money(f["overdue"]),
            "days": f["oldest_days"],
        }
    if rule == Code.CREDIT:
        return _("%(used)s%% of the credit limit used: %(out)s owed of %(limit)s.") % {
            "used": f["percent"],
            "out": _money(f["outstanding"]),
            "limit": _money(f["limit"]),
        }
    if rule == Code.DECLINE:
        return _(
            "Spending fell %(fall)s%% over the last %(days)s days: %(now)s against %(before)s."
        ) % {
            "fall": f["fall"],
            "days": f["days"],
            "now": _money(f["recent"]),
            "before": _money(f["previous"]),
        }
    if rule == Code.COMPLAINTS:
        return _("%(c)s complaints and %(r)s low ratings in the last %(days)s days.") % {
            "c": f["complaints"],
            "r": f["low_ratings"],
            "days": f["days"],
        }
    if rule == Code.SLIPPING:
        return _("A-tier customer only %(p)s%% likely to be still active (CLV %(clv)s).") % {
            "p": f["p_alive"],
            "clv": _money(f.get("clv") or 0),
        }
    if rule == Code.ORG_CHANGE:
        return _("Changed on %(on)s: %(fields)s.") % {
            "on": f["on"],
            "fields": ", ".join(_fact_label(code) for code in f["fields"]),
        }
    if rule == Code.SILENCE:
        if f.get("last"):
            return _("No contact for %(days)s days (last on %(last)s).") % {
                "days": f["days"],
                "last": f["last"],
            }
        return _("Never contacted.")
    return str(rule)


def rule_label(code: str) -> str:
    return str(Code(code).label) if code in Code.values else str(code)
