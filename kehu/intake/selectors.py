"""Reads for intake: phone matching, the agents' screen-pop, web forms and their fields."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, QuerySet, When
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.phones import normalize_phone
from kehu.customers.fields import FieldSpec, Group, Store, Type
from kehu.customers.models import Contact, Customer, Email, Phone
from kehu.customers.selectors import customers_visible_to, field_specs_for
from kehu.intake.models import CallEvent, LeadAssignment, LeadHandover, LeadRoutingRule, WebForm
from kehu.interactions.models import Interaction
from kehu.interactions.timeline import TimelineItem, register
from kehu.sales.models import OrderLine

# --- phone matching ---------------------------------------------------------------------------

# Better matches first: a live customer over an archived or merged one, the customer's own
# phone over a contact's.
_STATUS_RANK: dict[str, int] = {
    Customer.Status.ACTIVE: 0,
    Customer.Status.PUBLIC_POOL: 1,
    Customer.Status.ARCHIVED: 2,
    Customer.Status.MERGED: 3,
}
MAX_PHONE_MATCHES = 20


@dataclass(frozen=True)
class PhoneMatch:
    customer: Customer
    contact: Contact | None


def _rank(phone: Phone) -> tuple[int, int, int]:
    return (_STATUS_RANK.get(phone.customer.status, 9), phone.contact_id is not None, phone.pk)


def phone_matches(*, number: str, customers: QuerySet[Customer] | None = None) -> list[PhoneMatch]:
    """Customers (and contacts) with the E.164 ``number``, best first; one indexed query.

    ``customers`` narrows the search to a user's scope; None searches the whole archive (for
    integrations acting as the system).
    """
    rows = Phone.objects.filter(number=number).select_related(
        "customer", "customer__owner", "contact"
    )
    if customers is not None:
        rows = rows.filter(customer__in=customers.values("pk"))
    phones = sorted(rows[:MAX_PHONE_MATCHES], key=_rank)
    matches: list[PhoneMatch] = []
    seen: set[tuple[int, int | None]] = set()
    for phone in phones:
        key = (phone.customer_id, phone.contact_id)
        if key not in seen:
            seen.add(key)
            matches.append(PhoneMatch(customer=phone.customer, contact=phone.contact))
    return matches


def phone_match_best(*, number: str) -> PhoneMatch | None:
    """The one customer a call from ``number`` belongs to, searching the whole archive."""
    matches = phone_matches(number=number)
    return matches[0] if matches else None


def call_event_get(*, call_id: str) -> CallEvent | None:
    return CallEvent.objects.filter(call_id=call_id).first()


# --- the screen-pop ---------------------------------------------------------------------------

LAST_INTERACTIONS = 5


@dataclass
class CallerCard:
    customer: Customer
    contact: Contact | None
    interactions: list[Interaction] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)  # what they bought lately, newest first


@dataclass
class CallerLookup:
    number: str  # E.164, "" when the typed number is not valid
    error: str = ""
    cards: list[CallerCard] = field(default_factory=list)


def caller_lookup(*, user: User, number: str) -> CallerLookup:
    """Who is calling from ``number``, among the customers ``user`` may see.

    A number that belongs only to customers outside the user's scope looks unknown: the
    screen-pop never hints at another rep's customers.
    """
    try:
        e164 = normalize_phone(number)
    except ValidationError as exc:
        return CallerLookup(number="", error=str(exc.messages[0]))
    matches = phone_matches(number=e164, customers=customers_visible_to(user))
    cards = []
    for match in matches[:5]:
        interactions = list(
            Interaction.objects.filter(customer=match.customer)
            .select_related("user", "channel", "contact")
            .order_by("-occurred_at", "-id")[:LAST_INTERACTIONS]
        )
        bought = OrderLine.objects.filter(order__customer=match.customer).order_by(
            "-order__ordered_on", "-id"
        )
        products = list(dict.fromkeys(bought.values_list("product_id", flat=True)[:20]))
        cards.append(CallerCard(match.customer, match.contact, interactions, products))
    return CallerLookup(number=e164, cards=cards)


# --- lead assignment --------------------------------------------------------------------------


def lead_routing_rules() -> list[LeadRoutingRule]:
    """Every routing rule, in the order they are checked."""
    return list(
        LeadRoutingRule.objects.select_related("product", "user", "team").order_by(
            "sort_order", "id"
        )
    )


def lead_routing_rule_get(*, rule_id: int) -> LeadRoutingRule:
    rule = LeadRoutingRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def lead_assignment_get() -> LeadAssignment:
    """The lead assignment settings (created with defaults on first use)."""
    assignment, _created = LeadAssignment.objects.select_related("team", "user").get_or_create(pk=1)
    return assignment


# --- web forms --------------------------------------------------------------------------------

MESSAGE = "message"  # the visitor's own words; logged on the interaction, not an archive fact
MESSAGE_MAX_LENGTH = 2000

# Archive fields a public form may ask. Not the archive's own bookkeeping (stage, grade, tags,
# channel, notes) and no sensitive field: a public page is no place to collect ID numbers,
# income or family details (PIPL: collect no more than the purpose needs).
_NOT_ON_FORMS = {"lifecycle_stage", "grade", "source_channel", "tags", "notes"}


@dataclass(frozen=True)
class FormField:
    code: str
    label: str | Promise
    required: bool
    spec: FieldSpec | None  # None for the message


def message_spec() -> FieldSpec:
    return FieldSpec(
        MESSAGE,
        _("message"),
        Group.ARCHIVE,
        Type.LONG_TEXT,
        Store.CUSTOMER,
        max_length=MESSAGE_MAX_LENGTH,
    )


def form_field_specs(kind: str) -> dict[str, FieldSpec]:
    """What a form for customers of ``kind`` may ask, by code, in the archive's order."""
    specs = {
        code: spec
        for code, spec in field_specs_for(kind).items()
        if code not in _NOT_ON_FORMS and spec.sensitive is None
    }
    specs[MESSAGE] = message_spec()
    return specs


def web_form_fields(form: WebForm) -> list[FormField]:
    """The form's fields as configured, skipping any that no longer exist (a custom field
    deactivated since); labels in the current language."""
    specs = form_field_specs(form.kind)
    result = []
    for item in form.fields:
        spec = specs.get(item.get("code", ""))
        if spec is not None:
            result.append(FormField(spec.code, spec.label, bool(item.get("required")), spec))
    return result


def web_forms_all() -> QuerySet[WebForm]:
    """Every form, with ``submission_count``."""
    return (
        WebForm.objects.select_related("owner")
        .annotate(submission_count=Count("submissions"))
        .order_by("title", "id")
    )


def web_form_get(*, form_id: int) -> WebForm:
    form = WebForm.objects.select_related("owner").filter(pk=form_id).first()
    if form is None:
        raise Http404
    return form


def web_form_public_get(*, slug: str) -> WebForm:
    """An active form by its public address; 404 for unknown and inactive forms alike."""
    form = WebForm.objects.filter(slug=slug, is_active=True).first()
    if form is None:
        raise Http404
    return form


def web_form_dedup_match(*, phones: list[str], emails: list[str]) -> PhoneMatch | None:
    """The existing customer a submission belongs to: by phone first, then by e-mail."""
    for number in phones:
        match = phone_match_best(number=number)
        if match is not None and match.customer.status != Customer.Status.MERGED:
            return match
    if emails:
        rows = (
            Email.objects.filter(address__in=emails)
            .exclude(customer__status=Customer.Status.MERGED)
            .select_related("customer", "customer__owner", "contact")
            .order_by("id")
        )
        for email in rows[:MAX_PHONE_MATCHES]:
            return PhoneMatch(customer=email.customer, contact=email.contact)
    return None


def handover_for_user(*, user: User, handover_id: str | int) -> LeadHandover:
    """A hand-over made to ``user``; 404 for anyone else's."""
    handover = (
        LeadHandover.objects.filter(pk=handover_id, to_user=user).first()
        if str(handover_id).isdigit()
        else None
    )
    if handover is None:
        raise Http404
    return handover


def handovers_of(*, user: User, limit: int = 50) -> list[LeadHandover]:
    """The user's hand-overs, waiting ones first, then the latest decided."""
    rows = LeadHandover.objects.filter(to_user=user).select_related("customer", "from_user")
    return list(
        rows.order_by(Case(When(status="pending", then=0), default=1), "-created_at")[:limit]
    )


@register("handover", _("Lead hand-overs"))
def handover_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    """Leads handed to a seller, and their acceptance or decline with its reason."""
    rows = LeadHandover.objects.filter(customer=customer).select_related("from_user", "to_user")
    items = []
    for h in rows.order_by("-created_at", "-id")[:limit]:
        if before is None or h.created_at < before:
            items.append(
                TimelineItem(
                    kind="handover",
                    at=h.created_at,
                    title=_("Lead handed to %(user)s") % {"user": h.to_user},
                    body="",
                    by=str(h.from_user) if h.from_user else "",
                    detail="pending",
                )
            )
        if h.decided_at is not None and (before is None or h.decided_at < before):
            accepted = h.status == LeadHandover.Status.ACCEPTED
            items.append(
                TimelineItem(
                    kind="handover",
                    at=h.decided_at,
                    title=_("Lead accepted") if accepted else _("Lead declined"),
                    body=h.reason,
                    by=str(h.to_user),
                    detail=h.status,
                )
            )
    return items
