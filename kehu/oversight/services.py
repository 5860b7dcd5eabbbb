"""Writes of the oversight app: risk rules, acknowledging alerts, reviews and their approval,
review cycles and checklist, sales targets, the watch list."""

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, Team, User
from kehu.core.access import require, require_account_admin
from kehu.core.audit import setting_changed
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.customers.selectors import require_customer_change
from kehu.customers.services import customer_mark_reviewed, customer_update
from kehu.oversight import kpis
from kehu.oversight.access import TARGETS_REFUSED, can_approve_review, target_allowed
from kehu.oversight.models import (
    KeptDashboard,
    OversightSettings,
    Review,
    ReviewCheck,
    ReviewCycle,
    ReviewSchedule,
    RiskAlert,
    RiskRule,
    SalesTarget,
    Watch,
)
from kehu.oversight.rules import THRESHOLDS

# --- risk rules and alerts ------------------------------------------------------------------


@transaction.atomic
def risk_rule_update(*, user: User, rule: RiskRule, data: dict[str, Any]) -> RiskRule:
    """Turn a rule on or off, change its level and thresholds (admins; audited)."""
    require_account_admin(user)
    changed = []
    errors: dict[str, list[str]] = {}
    allowed = {"enabled", "level", *THRESHOLDS[rule.code]}
    for name, value in data.items():
        if name not in allowed:
            continue
        if name == "enabled":
            value = bool(value)
        elif name == "level":
            if value not in (1, 2, 3):
                errors[name] = [_("Choose low, medium or high.")]
                continue
        elif value is not None and value != "":
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                errors[name] = [_("Enter a number.")]
                continue
            if number < 0 or (name == "percent" and number > 1000):
                errors[name] = [_("Enter a number from 0.")]
                continue
            value = int(number) if name in ("days", "count") else number
        else:
            errors[name] = [_("This threshold is needed.")]
            continue
        if getattr(rule, name) != value:
            setattr(rule, name, value)
            changed.append(name)
    if errors:
        raise ValidationError(errors)
    if changed:
        rule.save()
        setting_changed(actor=user, what=rule, changed=changed)
    return rule


@transaction.atomic
def risk_alert_acknowledge(*, user: User, alert: RiskAlert, note: str) -> RiskAlert:
    """Acknowledge an alert with a note (it shows on the customer's timeline)."""
    require_customer_change(user, alert.customer, _("You may not handle this customer's alerts."))
    alert = RiskAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise Conflict(_("This alert was acknowledged already."))
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("Say what was done.")]})
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = user
    alert.note = note[:300]
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
    # The note goes on the customer's timeline as an entry of the interactions' (the 360° page
    # reads no extra table for it).
    from kehu.interactions.services import interaction_log
    from kehu.oversight.models import RiskLevel

    with translation.override(settings.LANGUAGE_CODE):
        summary = _("Risk alert (%(level)s) handled: %(note)s") % {
            "level": RiskLevel(alert.level).label,
            "note": alert.note,
        }
    interaction_log(
        user=user,
        customer=alert.customer,
        type="other",
        summary=summary,
        details={"risk_alert": alert.pk},
    )
    return alert


# --- reviews --------------------------------------------------------------------------------

MAX_CYCLE_MONTHS = 60
DEFAULT_CYCLES = {
    Customer.Grade.IMPORTANT: 2,
    Customer.Grade.SPECIAL: 3,
    Customer.Grade.GENERAL: 12,
}
DEFAULT_CHECKS = (
    ("联系方式已核实", "Contact details verified"),
    ("资信已核查", "Credit checked"),
    ("未决问题已处理", "Open issues followed up"),
    ("下一步已约定", "Next steps agreed"),
)
# The archive fields a review may propose changes to (codes of kehu.customers.fields).
REVIEW_FIELDS = ("grade", "lifecycle_stage", "organization.credit_limit")


def oversight_settings() -> OversightSettings:
    settings_row, _created = OversightSettings.objects.get_or_create(pk=1)
    return settings_row


# The cycles, read at most once a minute per process (pages ask on every "My day").
CYCLES_SECONDS = 60.0
_cycles: tuple[float, dict[str, int]] | None = None


def review_cycles_forget() -> None:
    global _cycles
    _cycles = None


def review_cycles() -> dict[str, int]:
    """Months between reviews per grade, created with the defaults the first time."""
    global _cycles
    if _cycles is not None and time.monotonic() - _cycles[0] < CYCLES_SECONDS:
        return dict(_cycles[1])
    have = dict(ReviewCycle.objects.values_list("grade", "months"))
    missing = [
        ReviewCycle(grade=grade, months=months)
        for grade, months in DEFAULT_CYCLES.items()
        if grade not in have
    ]
    if missing:
        ReviewCycle.objects.bulk_create(missing, ignore_conflicts=True)
        have = dict(ReviewCycle.objects.values_list("grade", "months"))
    _cycles = (time.monotonic(), have)
    return dict(have)


def review_checks() -> list[ReviewCheck]:
    if not ReviewCheck.objects.exists():
        ReviewCheck.objects.bulk_create(
            ReviewCheck(label=zh, label_en=en, sort_order=i * 10)
            for i, (zh, en) in enumerate(DEFAULT_CHECKS, 1)
        )
    return list(ReviewCheck.objects.filter(is_active=True))


@transaction.atomic
def review_cycle_set(*, user: User, grade: str, months: int) -> ReviewCycle:
    require_account_admin(user)
    if grade not in Customer.Grade.values:
        raise ValidationError({"grade": [_("Unknown grade.")]})
    if not 1 <= months <= MAX_CYCLE_MONTHS:
        raise ValidationError({"months": [_("Between 1 and 60 months.")]})
    review_cycles()
    cycle = ReviewCycle.objects.get(grade=grade)
    if cycle.months != months:
        cycle.months = months
        cycle.save()
        transaction.on_commit(review_cycles_forget)
        review_cycles_forget()
        setting_changed(actor=user, what=cycle, changed=["months"])
    return cycle


@transaction.atomic
def review_check_save(
    *, user: User, check: ReviewCheck | None, label: str, label_en: str, is_active: bool = True
) -> ReviewCheck:
    """Add or change a checklist item (admins; audited)."""
    require_account_admin(user)
    label, label_en = label.strip(), label_en.strip()
    if not label or not label_en:
        raise ValidationError({"label": [_("Give the item in Chinese and in English.")]})
    if check is None:
        review_checks()
        check = ReviewCheck.objects.create(
            label=label[:100],
            label_en=label_en[:100],
            is_active=is_active,
            sort_order=(ReviewCheck.objects.count() + 1) * 10,
        )
        setting_changed(actor=user, what=check, changed=["label", "label_en", "is_active"])
        return check
    changed = [
        name
        for name, value in (
            ("label", label[:100]),
            ("label_en", label_en[:100]),
            ("is_active", is_active),
        )
        if getattr(check, name) != value
    ]
    if changed:
        check.label, check.label_en, check.is_active = label[:100], label_en[:100], is_active
        check.save()
        setting_changed(actor=user, what=check, changed=changed)
    return check


@transaction.atomic
def review_settings_update(*, user: User, review_approval: bool) -> OversightSettings:
    require_account_admin(user)
    row = oversight_settings()
    if row.review_approval != review_approval:
        row.review_approval = review_approval
        row.save()
        setting_changed(actor=user, what=row, changed=["review_approval"])
    return row


def _current(customer: Customer, code: str) -> str:
    if code == "organization.credit_limit":
        org = getattr(customer, "organization", None) if customer.kind == "organization" else None
        limit = org.credit_limit if org else None
        return "" if limit is None else str(limit)
    return str(getattr(customer, code))


def _proposed(customer: Customer, changes: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for code, value in changes.items():
        if value in (None, ""):
            continue
        if code not in REVIEW_FIELDS:
            errors[code] = [_("A review may not change this.")]
            continue
        if code == "organization.credit_limit" and customer.kind != Customer.Kind.ORGANIZATION:
            errors[code] = [_("Only organizations have a credit limit.")]
            continue
        old = _current(customer, code)
        new = str(value)
        if code == "organization.credit_limit":
            try:
                new = str(Decimal(new).quantize(Decimal("0.01")))
            except InvalidOperation:
                errors[code] = [_("Enter a number.")]
                continue
        if new != old:
            out[code] = [old, new]
    if errors:
        raise ValidationError(errors)
    return out


def _apply_changes(*, user: User, review: Review) -> None:
    if review.changes:
        customer_update(
            user=user,
            customer=review.customer,
            data={code: new for code, (_old, new) in review.changes.items()},
            note=(_("Periodic review: %(reason)s") % {"reason": review.reason})[:200],
        )


@dataclass(frozen=True)
class ReviewInput:
    checks: dict[int, bool]
    outcome: str
    next_review_on: date | None = None
    changes: dict[str, Any] | None = None
    reason: str = ""


@transaction.atomic
def review_complete(*, user: User, customer: Customer, data: ReviewInput) -> Review:
    """Record a periodic review of ``customer``: the checklist, the outcome, the next date and
    the changes proposed — applied through the archive's history at once, or after approval
    where the settings ask for it and the reviewer may not approve them."""
    require_customer_change(user, customer, _("You may not review this customer."))
    errors: dict[str, list[str]] = {}
    outcome = data.outcome.strip()
    if not outcome:
        errors["outcome"] = [_("Write the outcome of the review.")]
    today = timezone.localdate()
    cycles = review_cycles()
    next_on = data.next_review_on
    if next_on is None:
        months = cycles.get(customer.grade, 12)
        next_on = _add_months(today, months)
    elif next_on <= today:
        errors["next_review_on"] = [_("The next review must be after today.")]
    try:
        changes = _proposed(customer, data.changes or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
        changes = {}
    if changes and not data.reason.strip():
        errors["reason"] = [_("Say why these changes are proposed.")]
    if errors:
        raise ValidationError(errors)
    checklist = [
        [check.label, check.label_en, bool(data.checks.get(check.pk))] for check in review_checks()
    ]
    pending = bool(changes) and oversight_settings().review_approval
    pending = pending and not can_approve_review(user, customer)
    review = Review.objects.create(
        customer=customer,
        reviewer=user,
        checklist=checklist,
        changes=changes,
        reason=data.reason.strip()[:300],
        outcome=outcome,
        next_review_on=next_on,
        status=Review.Status.PENDING if pending else Review.Status.DONE,
    )
    if not pending:
        _apply_changes(user=user, review=review)
    customer_mark_reviewed(user=user, customer=customer, note=outcome[:200])
    ReviewSchedule.objects.update_or_create(customer=customer, defaults={"due_on": next_on})
    return review


@transaction.atomic
def review_decide(*, user: User, review: Review, approve: bool) -> Review:
    """Approve (apply) or reject the changes a review proposed."""
    require(
        user,
        lambda u: can_approve_review(u, review.customer),
        _("Only a manager of the customer's team or an archive administrator may decide."),
    )
    review = Review.objects.select_for_update().select_related("customer").get(pk=review.pk)
    if review.status != Review.Status.PENDING:
        raise Conflict(_("This review was decided already."))
    review.status = Review.Status.DONE if approve else Review.Status.REJECTED
    review.decided_by = user
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    if approve:
        _apply_changes(user=user, review=review)
    return review


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    return day  # unreachable


# --- targets --------------------------------------------------------------------------------


def period_start(period: str, day: date) -> date:
    if period == SalesTarget.Period.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return day.replace(day=1)


@transaction.atomic
def target_set(
    *,
    user: User,
    period: str,
    starts_on: date,
    metric: str,
    amount: Decimal,
    owner: User | None = None,
    team: Team | None = None,
) -> SalesTarget:
    """Set (or change) the target of a rep or a team for a month or quarter."""
    if (owner is None) == (team is None):
        raise ValidationError({"owner": [_("Choose a sales rep or a team.")]})
    require(
        user,
        lambda u: target_allowed(u, owner=owner, team_id=team.pk if team else None),
        TARGETS_REFUSED,
    )
    if period not in SalesTarget.Period.values:
        raise ValidationError({"period": [_("Choose month or quarter.")]})
    if metric not in SalesTarget.Metric.values:
        raise ValidationError({"metric": [_("Unknown measure.")]})
    if amount < 0:
        raise ValidationError({"amount": [_("Enter a number from 0.")]})
    starts_on = period_start(period, starts_on)
    target, _created = SalesTarget.objects.update_or_create(
        period=period,
        starts_on=starts_on,
        owner=owner,
        team=team,
        metric=metric,
        defaults={"amount": amount, "set_by": user},
    )
    return target


@transaction.atomic
def target_delete(*, user: User, target: SalesTarget) -> None:
    require(
        user,
        lambda u: target_allowed(u, owner=target.owner, team_id=target.team_id),
        TARGETS_REFUSED,
    )
    target.delete()


# --- watch list -----------------------------------------------------------------------------


@transaction.atomic
def watch_set(*, user: User, customer: Customer, reason: str) -> Watch:
    require_customer_change(user, customer)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why this customer is watched.")]})
    watch, _created = Watch.objects.update_or_create(
        customer=customer,
        defaults={"reason": reason[:300], "watched_by": user, "watched_at": timezone.now()},
    )
    return watch


@transaction.atomic
def watch_clear(*, user: User, customer: Customer) -> None:
    require_customer_change(user, customer)
    Watch.objects.filter(customer=customer).delete()


# --- kept dashboards ------------------------------------------------------------------------


def dashboard_keep_for(user_id: int, period: str, on: str, team_id: int | None, day: str) -> None:
    """Compute a dashboard for ``day`` and keep it (the queued task), unless its user left."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        filters = kpis.KpiFilters(period, date.fromisoformat(on) if on else None, team_id)
        kpis.dashboard_keep(user=user, filters=filters, today=date.fromisoformat(day))


def dashboards_keep_all(today: date | None = None) -> int:
    """Every kept dashboard of the current period, computed again for ``today`` (nightly,
    after the risk run, and after the demo load), and the whole archive's month for the first
    leader or administrator if none is kept: the day's first views find them current. A
    dashboard for a chosen day keeps until someone looks. Returns how many were computed."""
    today = today or timezone.localdate()
    done = 0
    for kept in KeptDashboard.objects.select_related("user").filter(user__is_active=True):
        period, on, team_id = kept.figures["filters"]
        if on is None:
            kpis.dashboard_keep(
                user=kept.user, filters=kpis.KpiFilters(period, None, team_id), today=today
            )
            done += 1
    leader = (
        User.objects.filter(is_active=True, role__in=(Role.LEADER, Role.ADMIN))
        .order_by("pk")
        .first()
    )
    whole = kpis.KpiFilters()
    if (
        leader is not None
        and not KeptDashboard.objects.filter(key=kpis.kept_key(leader, whole)).exists()
    ):
        kpis.dashboard_keep(user=leader, filters=whole, today=today)
        done += 1
    return done
