"""What intake's writes share: channels, stored texts, owners, lead assignment."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_accounts, require_account_admin
from kehu.core.audit import setting_changed
from kehu.core.exceptions import Conflict
from kehu.customers.models import Channel, Customer
from kehu.customers.services import customer_assign
from kehu.intake.models import LeadAssignment, LeadHandover, LeadRoutingRule
from kehu.intake.routing import (
    assignment_locked,
    may_own_customers,
)
from kehu.interactions.notifications import Topic, notify

CALL_CENTER = "call_center"
WEBSITE = "website"
MAX_CALL_SECONDS = 24 * 3600


def channel_by_code(code: str) -> Channel | None:
    return Channel.objects.filter(code=code).first()


def stored_language() -> Any:
    """Texts stored in the archive (names, summaries) are written in the site's language."""
    return translation.override(settings.LANGUAGE_CODE)


def notify_owner(customer: Customer, text: str, *, skip: User | None = None) -> None:
    owner = customer.owner
    if owner is None or not owner.is_active or owner == skip:
        return
    notify(topic=Topic.CUSTOMERS, user=owner, text=text, url=customer.get_absolute_url())


def live_customer(customer: Customer) -> Customer:
    """The customer a merged record now lives on."""
    if customer.status == Customer.Status.MERGED and customer.merged_into_id:
        return Customer.objects.select_related("owner").get(pk=customer.merged_into_id)
    return customer


# --- lead assignment --------------------------------------------------------------------------


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
                topic=Topic.CUSTOMERS,
                user=finder,
                text=_("%(user)s declined the lead %(name)s: %(reason)s")
                % {"user": user, "name": customer.name, "reason": reason},
                url=customer.get_absolute_url(),
            )
    return handover


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
    setting_changed(actor=user, what=assignment, changed=["rule", "team", "user", "fallback_user"])
    return assignment


@transaction.atomic
def lead_routing_rule_save(
    *,
    user: User,
    rule: LeadRoutingRule | None = None,
    kind: str,
    province: str = "",
    product_id: int | None = None,
    target: str,
    team_id: int | None = None,
    user_id: int | None = None,
    sort_order: int = 100,
    is_active: bool = True,
) -> LeadRoutingRule:
    """Create or change a routing rule by region or product (administrators)."""
    if not can_manage_accounts(user):
        raise PermissionDenied(_("Only administrators may change lead assignment."))
    from kehu.accounts.models import Team
    from kehu.core.regions import provinces
    from kehu.sales.models import Product

    errors: dict[str, list[str]] = {}
    product = Product.objects.filter(pk=product_id).first() if product_id else None
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    owner = User.objects.filter(pk=user_id).first() if user_id else None
    if kind not in LeadRoutingRule.Kind.values:
        errors["kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(LeadRoutingRule.Kind.values)}
        ]
    elif kind == LeadRoutingRule.Kind.REGION and province not in {p.province for p in provinces()}:
        errors["province"] = [_("Choose a province.")]
    elif kind == LeadRoutingRule.Kind.PRODUCT and product is None:
        errors["product"] = [_("Choose a product.")]
    if target not in LeadRoutingRule.Target.values:
        errors["target"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(LeadRoutingRule.Target.values)}
        ]
    elif target == LeadRoutingRule.Target.TEAM and team is None:
        errors["team"] = [_("Choose the team whose members take turns.")]
    elif target == LeadRoutingRule.Target.USER and not may_own_customers(owner):
        errors["user"] = [_("Choose an active user whose role may own customers.")]
    if not 0 <= sort_order <= 32767:
        errors["sort_order"] = [_("Enter a number from 0 to 32767.")]
    if errors:
        raise ValidationError(errors)
    if rule is None:
        rule = LeadRoutingRule()
    else:
        rule = LeadRoutingRule.objects.select_for_update().get(pk=rule.pk)
    rule.kind = kind
    rule.province = province if kind == LeadRoutingRule.Kind.REGION else ""
    rule.product = product if kind == LeadRoutingRule.Kind.PRODUCT else None
    rule.target = target
    rule.team = team if target == LeadRoutingRule.Target.TEAM else None
    rule.user = owner if target == LeadRoutingRule.Target.USER else None
    if rule.team_id is None:
        rule.last_assigned = None
    rule.sort_order = sort_order
    rule.is_active = is_active
    rule.save()
    setting_changed(actor=user, what=rule)
    return rule


@transaction.atomic
def lead_routing_rule_delete(*, user: User, rule: LeadRoutingRule) -> None:
    if not can_manage_accounts(user):
        raise PermissionDenied(_("Only administrators may change lead assignment."))
    setting_changed(actor=user, what=rule, deleted=True)
    LeadRoutingRule.objects.filter(pk=rule.pk).delete()
