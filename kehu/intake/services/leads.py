"""What intake's writes share: channels, stored texts, owners, lead assignment."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import POLICIES, Scope, require_account_admin
from kehu.core.exceptions import Conflict
from kehu.customers.models import Channel, Customer
from kehu.customers.services import customer_assign
from kehu.intake.models import LeadAssignment, LeadHandover
from kehu.interactions.services import notify

CALL_CENTER = "call_center"
WEBSITE = "website"
MAX_CALL_SECONDS = 24 * 3600
# Roles that can own customers (change them); leads are given only to them.
OWNER_ROLES = [role for role, policy in POLICIES.items() if policy.change is not Scope.NONE]


def channel_by_code(code: str) -> Channel | None:
    return Channel.objects.filter(code=code).first()


def stored_language() -> Any:
    """Texts stored in the archive (names, summaries) are written in the site's language."""
    return translation.override(settings.LANGUAGE_CODE)


def notify_owner(customer: Customer, text: str, *, skip: User | None = None) -> None:
    owner = customer.owner
    if owner is None or not owner.is_active or owner == skip:
        return
    notify(user=owner, text=text, url=customer.get_absolute_url())


def owner_language(customer: Customer) -> Any:
    owner = customer.owner
    return translation.override((owner.language if owner else "") or settings.LANGUAGE_CODE)


def live_customer(customer: Customer) -> Customer:
    """The customer a merged record now lives on."""
    if customer.status == Customer.Status.MERGED and customer.merged_into_id:
        return Customer.objects.select_related("owner").get(pk=customer.merged_into_id)
    return customer


# --- lead assignment --------------------------------------------------------------------------


def assignment_locked() -> LeadAssignment:
    """The assignment settings, locked until the transaction ends: leads are handed out one at
    a time, so the round robin never gives two leads the same turn."""
    assignment, _created = LeadAssignment.objects.select_for_update().get_or_create(pk=1)
    return assignment


def may_own_customers(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in OWNER_ROLES


def next_owner(assignment: LeadAssignment) -> User | None:
    """Who gets the next lead under the rule (None: the public pool, only when the rule says so
    or nobody, not even the fallback owner, may take it). Call with the row locked."""
    if assignment.rule == LeadAssignment.Rule.PUBLIC_POOL:
        return None
    chosen = _rule_owner(assignment)
    if chosen is None and may_own_customers(assignment.fallback_user):
        return assignment.fallback_user
    return chosen


def lead_owner_next() -> User | None:
    """The owner the assignment rule gives the next lead; in the caller's transaction."""
    return next_owner(assignment_locked())


def lead_assigned_notify(customer: Customer, *, by: User | None) -> None:
    """Hand a routed lead to its new owner: a hand-over waiting for them to accept it, and a
    notification in their language that links to their hand-overs."""
    if customer.owner is None:
        return
    LeadHandover.objects.create(customer=customer, from_user=by, to_user=customer.owner)
    with owner_language(customer):
        text = _(
            "New lead %(name)s, found by %(user)s, is handed to you: accept or decline it."
        ) % {
            "name": customer.name,
            "user": by or "—",
        }
    if customer.owner.is_active and customer.owner != by:
        notify(user=customer.owner, text=text, url=reverse("intake_admin:handovers"))


@transaction.atomic
def lead_handover_decide(
    *, user: User, handover: LeadHandover, accept: bool, reason: str = ""
) -> LeadHandover:
    """The new owner accepts the lead, or declines it with ``reason``: a declined lead goes to
    the public pool (the owner change keeps the reason) and its finder is told. Both are on the
    customer's timeline."""
    handover = (
        LeadHandover.objects.select_for_update().select_related("customer").get(pk=handover.pk)
    )
    if handover.to_user_id != user.pk:
        raise PermissionDenied(_("This lead was handed to someone else."))
    if handover.status != LeadHandover.Status.PENDING:
        raise Conflict(_("This hand-over was decided already."))
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": [_("Say why you decline the lead.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("At most 300 characters.")]})
    handover.status = LeadHandover.Status.ACCEPTED if accept else LeadHandover.Status.DECLINED
    handover.reason = reason
    handover.decided_at = timezone.now()
    handover.save()
    customer = handover.customer
    if not accept:
        if customer.owner_id == user.pk:
            customer_assign(user=user, customer=customer, owner=None, note=reason)
        finder = handover.from_user
        if finder is not None and finder.is_active:
            notify(
                user=finder,
                text=_("%(user)s declined the lead %(name)s: %(reason)s")
                % {"user": user, "name": customer.name, "reason": reason},
                url=customer.get_absolute_url(),
            )
    return handover


def _rule_owner(assignment: LeadAssignment) -> User | None:
    if assignment.rule == LeadAssignment.Rule.FIXED_USER:
        return assignment.user if may_own_customers(assignment.user) else None
    if assignment.team_id is None:
        return None
    members = list(
        User.objects.filter(
            memberships__team_id=assignment.team_id, is_active=True, role__in=OWNER_ROLES
        )
        .order_by("pk")
        .distinct()
    )
    if not members:
        return None
    last = assignment.last_assigned_id
    chosen = next((m for m in members if last is not None and m.pk > last), members[0])
    assignment.last_assigned = chosen
    assignment.save(update_fields=["last_assigned", "updated_at"])
    return chosen


@transaction.atomic
def lead_assignment_save(
    *,
    user: User,
    rule: str,
    team_id: int | None = None,
    fixed_user_id: int | None = None,
    fallback_user_id: int | None = None,
) -> LeadAssignment:
    """Set the rule that gives leads from calls and web forms an owner (administrators)."""
    require_account_admin(user, _("Only administrators may change lead assignment."))
    from kehu.accounts.models import Team

    errors: dict[str, list[str]] = {}
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    fixed = User.objects.filter(pk=fixed_user_id).first() if fixed_user_id else None
    if rule not in LeadAssignment.Rule.values:
        errors["rule"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(LeadAssignment.Rule.values)}
        ]
    elif rule == LeadAssignment.Rule.ROUND_ROBIN and team is None:
        errors["team"] = [_("Choose the team whose members take turns.")]
    elif rule == LeadAssignment.Rule.FIXED_USER and not may_own_customers(fixed):
        errors["user"] = [_("Choose an active user whose role may own customers.")]
    fallback = User.objects.filter(pk=fallback_user_id).first() if fallback_user_id else None
    if fallback_user_id and not may_own_customers(fallback):
        errors["fallback_user"] = [_("Choose an active user whose role may own customers.")]
    if errors:
        raise ValidationError(errors)
    assignment = assignment_locked()
    assignment.fallback_user = fallback if rule != LeadAssignment.Rule.PUBLIC_POOL else None
    assignment.rule = rule
    assignment.team = team if rule == LeadAssignment.Rule.ROUND_ROBIN else None
    assignment.user = fixed if rule == LeadAssignment.Rule.FIXED_USER else None
    assignment.save()
    return assignment
