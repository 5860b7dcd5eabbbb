"""Reads for the data-quality page: the latest snapshot in words, the trend, and the customers
behind each number (the drill-down), for archive administrators only."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to, field_specs_for
from kehu.quality.metrics import KINDS, RULES, completeness_specs, filled_q, rule_q, stale_q
from kehu.quality.models import QualitySnapshot

TREND_DAYS = 90

QUALITY_REFUSED = gettext_lazy("Only archive administrators may see data quality.")


def quality_latest() -> QualitySnapshot | None:
    return QualitySnapshot.objects.order_by("-taken_on").first()


def quality_trend(days: int = TREND_DAYS) -> list[QualitySnapshot]:
    """The last ``days`` snapshots, oldest first."""
    return list(reversed(QualitySnapshot.objects.order_by("-taken_on")[:days]))


def trend_points(snapshots: list[QualitySnapshot]) -> list[dict[str, Any]]:
    """Per snapshot the four headline shares: complete, valid, consistent, stale (percent)."""
    return [
        {
            "taken_on": s.taken_on.isoformat(),
            "completeness": s.metrics.get("completeness", {}).get("share"),
            "validity": s.metrics.get("validity", {}).get("share"),
            "consistency": s.metrics.get("consistency", {}).get("share"),
            "stale": s.metrics.get("freshness", {}).get("share_stale"),
        }
        for s in snapshots
    ]


# --- the page's rows --------------------------------------------------------------------------


def issues_url(metric: str, **params: str) -> str:
    url = reverse("quality:issues", args=[metric])
    return f"{url}?{urlencode(params)}" if params else url


@dataclass
class FieldRow:
    kind: str
    code: str
    label: str
    filled: int
    total: int

    @property
    def missing(self) -> int:
        return self.total - self.filled

    @property
    def share(self) -> float | None:
        return round(100 * self.filled / self.total, 1) if self.total else None

    @property
    def url(self) -> str:
        return issues_url("missing", kind=self.kind, field=self.code)


@dataclass
class RuleRow:
    code: str
    label: str
    checked: int
    failing: int
    customers: int
    capped: bool

    @property
    def share_ok(self) -> float | None:
        return (
            round(100 * (self.checked - self.failing) / self.checked, 1) if self.checked else None
        )

    @property
    def url(self) -> str:
        return issues_url(self.code)


def completeness_rows(snapshot: QualitySnapshot) -> dict[str, list[FieldRow]]:
    by_kind = snapshot.metrics.get("completeness", {}).get("by_kind", {})
    rows: dict[str, list[FieldRow]] = {}
    for kind in KINDS:
        specs = field_specs_for(kind)
        fields = by_kind.get(kind, {}).get("fields", {})
        rows[kind] = [
            FieldRow(
                kind=kind,
                code=code,
                label=str(specs[code].label) if code in specs else code,
                filled=counts["filled"],
                total=counts["total"],
            )
            for code, counts in fields.items()
        ]
    return rows


def rule_rows(snapshot: QualitySnapshot, family: str) -> list[RuleRow]:
    found = snapshot.metrics.get(family, {}).get("rules", {})
    return [
        RuleRow(
            code=code,
            label=str(RULES[code].label),
            checked=counts["checked"],
            failing=counts["failing"],
            customers=counts["customers"],
            capped=len(snapshot.issue_ids.get(code, [])) < counts["customers"],
        )
        for code, counts in found.items()
        if code in RULES
    ]


def chart_data(snapshot: QualitySnapshot, trend: list[QualitySnapshot]) -> dict[str, Any]:
    """What the page's two ECharts draw: the trend lines and completeness per field."""
    points = trend_points(trend)
    fields = [row for rows in completeness_rows(snapshot).values() for row in rows]
    kinds = dict(Customer.Kind.choices)
    return {
        "names": {
            "completeness": _("Complete"),
            "validity": _("Valid"),
            "consistency": _("Consistent"),
            "stale": _("Stale"),
        },
        "dates": [p["taken_on"] for p in points],
        "series": {
            key: [p[key] for p in points]
            for key in ("completeness", "validity", "consistency", "stale")
        },
        "fields": {
            "labels": [f"{row.label} ({kinds[row.kind]})" for row in fields],
            "values": [row.share for row in fields],
        },
    }


# --- the drill-down ---------------------------------------------------------------------------


@dataclass
class IssueList:
    title: str
    customers: QuerySet[Customer]
    capped_at: int | None = None  # ids kept from the snapshot, when fewer than found


def quality_issue_customers(
    *, user: User, metric: str, kind: str = "", field: str = "", snapshot: QualitySnapshot | None
) -> IssueList:
    """The customers behind one number of the page, newest first, in the user's scope.

    SQL-expressible rules are evaluated now; the others list the ids the snapshot kept.
    Raises 404 for an unknown metric, kind or field.
    """
    require_archive_admin(user, QUALITY_REFUSED)
    live = customers_visible_to(user).live()
    if metric == "missing":
        spec = next((s for s in completeness_specs(kind) if s.code == field), None)
        condition = filled_q(spec) if spec is not None and kind in KINDS else None
        if spec is None or condition is None:
            raise Http404
        title = _("%(kind)s without “%(field)s”") % {
            "kind": Customer.Kind(kind).label,
            "field": spec.label,
        }
        return IssueList(title, live.filter(kind=kind).filter(~condition))
    if metric == "stale":
        months = snapshot.stale_months if snapshot else 6
        title = _("Neither updated nor reviewed in %(n)s months") % {"n": months}
        return IssueList(title, live.filter(stale_q(months)))
    if metric == "duplicates":
        from kehu.dedup.models import DuplicateCandidate

        pending = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING)
        in_pairs = Q(pk__in=pending.values("customer_a")) | Q(pk__in=pending.values("customer_b"))
        return IssueList(_("In duplicate pairs awaiting review"), live.filter(in_pairs))
    rule = RULES.get(metric)
    if rule is None:
        raise Http404
    if rule.in_sql:
        return IssueList(str(rule.label), live.filter(rule_q(rule)))
    ids = snapshot.issue_ids.get(metric, []) if snapshot else []
    found = (
        snapshot.metrics.get(rule.family, {}).get("rules", {}).get(metric, {}) if snapshot else {}
    )
    capped = len(ids) if found.get("customers", 0) > len(ids) else None
    return IssueList(str(rule.label), live.filter(Q(pk__in=ids)), capped_at=capped)
