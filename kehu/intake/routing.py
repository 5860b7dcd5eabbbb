"""Who gets a new lead: the routing rules (by region or product), the general assignment rule
(fixed user or round robin in a team), the fallback owner; and the hand-over that tells the new
owner. Reads and locks intake's settings only, so the customer services can route a lead
without depending on intake's or the interactions' services."""

from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import POLICIES, Scope
from kehu.core.i18n import in_language_of
from kehu.core.regions import parse_region
from kehu.customers.models import Customer
from kehu.intake.models import LeadAssignment, LeadHandover, LeadRoutingRule
from kehu.interactions.notifications import Topic, notify

# Roles that can own customers (change them); leads are given only to them.
OWNER_ROLES = [role for role, policy in POLICIES.items() if policy.change is not Scope.NONE]


def owner_language(customer: Customer) -> Any:
    return in_language_of(customer.owner)


def assignment_locked() -> LeadAssignment:
    """The assignment settings, locked until the transaction ends: leads are handed out one at
    a time, so the round robin never gives two leads the same turn."""
    assignment, _created = LeadAssignment.objects.select_for_update().get_or_create(pk=1)
    return assignment


def may_own_customers(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in OWNER_ROLES


@dataclass(frozen=True)
class LeadFacts:
    """What routing rules look at in a new lead: its province (from its address, or the
    caller's number) and the product it asks about."""

    province: str = ""
    product_id: int | None = None


def lead_facts(*, address: str = "", phone: str = "", product_id: int | None = None) -> LeadFacts:
    """The lead's province from its address, else from its phone number (the region of a
    mobile number's block or a landline's area code, from the phone-number library's offline
    data); and the product."""
    province = parse_region(address).province if address.strip() else ""
    if not province and phone:
        province = province_of_phone(phone)
    return LeadFacts(province=province, product_id=product_id)


def province_of_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ""
    from phonenumbers import geocoder  # its data takes ~0.6 s to load: only when routing

    where = geocoder.description_for_number(number, "zh")
    return parse_region(where).province if where else ""


def matching_rule(facts: LeadFacts) -> LeadRoutingRule | None:
    """The first active routing rule (by order) that matches the lead, locked."""
    if not facts.province and facts.product_id is None:
        return None
    matches = (
        Q(kind=LeadRoutingRule.Kind.REGION, province=facts.province) if facts.province else Q()
    )
    if facts.product_id is not None:
        product_q = Q(kind=LeadRoutingRule.Kind.PRODUCT, product_id=facts.product_id)
        matches = matches | product_q if matches else product_q
    return (
        LeadRoutingRule.objects.select_for_update()
        .filter(matches, is_active=True)
        .order_by("sort_order", "id")
        .first()
    )


def next_owner(assignment: LeadAssignment, facts: LeadFacts | None = None) -> User | None:
    """Who gets the next lead: the first routing rule that matches it (by region or product),
    else the general rule; when either finds nobody (an empty team, a disabled user), the
    fallback owner. None (the public pool) only when the rule that decides says so, or nobody
    at all may take it. Call with the assignment row locked."""
    rule = matching_rule(facts) if facts is not None else None
    if rule is not None:
        if rule.target == LeadRoutingRule.Target.POOL:
            return None
        if rule.target == LeadRoutingRule.Target.USER:
            chosen = rule.user if may_own_customers(rule.user) else None
        else:
            chosen = _round_robin(rule)
        if chosen is not None:
            return chosen
    elif assignment.rule == LeadAssignment.Rule.PUBLIC_POOL:
        return None
    else:
        chosen = _rule_owner(assignment)
        if chosen is not None:
            return chosen
    return assignment.fallback_user if may_own_customers(assignment.fallback_user) else None


def lead_owner_next(facts: LeadFacts | None = None) -> User | None:
    """The owner the assignment rules give the next lead; in the caller's transaction."""
    return next_owner(assignment_locked(), facts)


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
        notify(
            topic=Topic.CUSTOMERS,
            user=customer.owner,
            text=text,
            url=reverse("intake_admin:handovers"),
        )


def _rule_owner(assignment: LeadAssignment) -> User | None:
    if assignment.rule == LeadAssignment.Rule.FIXED_USER:
        return assignment.user if may_own_customers(assignment.user) else None
    return _round_robin(assignment)


def _round_robin(holder: LeadAssignment | LeadRoutingRule) -> User | None:
    """The team member after the one who got the last lead (locked ``holder`` keeps the turn)."""
    if holder.team_id is None:
        return None
    members = list(
        User.objects.filter(
            memberships__team_id=holder.team_id, is_active=True, role__in=OWNER_ROLES
        )
        .order_by("pk")
        .distinct()
    )
    if not members:
        return None
    last = holder.last_assigned_id
    chosen = next((m for m in members if last is not None and m.pk > last), members[0])
    holder.last_assigned = chosen
    holder.save(update_fields=["last_assigned", "updated_at"])
    return chosen
