"""Call-center events: on the caller's timeline, or a new lead."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.phones import format_phone_local, normalize_phone
from kehu.customers import services as customer_services
from kehu.customers.models import Channel, Customer
from kehu.intake.models import (
    CallEvent,
)
from kehu.intake.routing import (
    assignment_locked,
    lead_facts,
    next_owner,
    owner_language,
)
from kehu.intake.selectors import (
    PhoneMatch,
    call_event_get,
    phone_match_best,
)
from kehu.intake.services.leads import (
    CALL_CENTER,
    MAX_CALL_SECONDS,
    channel_by_code,
    live_customer,
    notify_owner,
    stored_language,
)
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log
from kehu.sales.models import Product

# --- call events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallResult:
    event: CallEvent
    created: bool  # False: a repeated delivery, answered with the first result


def _duration_text(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": rest}
    return _("%(s)s s") % {"s": rest}


def _call_summary(
    *, direction: str, number: str, duration: int | None, ivr_path: str, agent: str, notes: str
) -> str:
    if direction == Interaction.Direction.INBOUND:
        text = _("Call from %(number)s") % {"number": format_phone_local(number)}
    else:
        text = _("Call to %(number)s") % {"number": format_phone_local(number)}
    parts = [text]
    if duration is not None:
        parts.append(_duration_text(duration) if duration else _("not answered"))
    if ivr_path:
        parts.append(_("IVR: %(path)s") % {"path": ivr_path})
    if agent:
        parts.append(_("agent %(agent)s") % {"agent": agent})
    summary = "; ".join(parts) + "."
    return f"{summary}\n{notes.strip()}" if notes.strip() else summary


def _clean_call(
    *,
    call_id: str,
    caller: str,
    callee: str,
    direction: str,
    started_at: datetime,
    ended_at: datetime | None,
    recording_url: str,
) -> tuple[str, int | None]:
    """The customer's number (E.164) and the duration; one ValidationError naming every field."""
    errors: dict[str, list[str]] = {}
    number = ""
    if not call_id.strip():
        errors["call_id"] = [_("This field is required.")]
    if direction not in Interaction.Direction.values:
        errors["direction"] = [_("Choose inbound or outbound.")]
    else:
        # The customer is the caller of an inbound call and the callee of an outbound one.
        side = "caller" if direction == Interaction.Direction.INBOUND else "callee"
        try:
            number = normalize_phone(caller if side == "caller" else callee)
        except ValidationError as exc:
            errors[side] = list(exc.messages)
    if started_at > timezone.now() + timedelta(minutes=5):
        errors["started_at"] = [_("This time is in the future.")]
    duration = None
    if ended_at is not None:
        duration = int((ended_at - started_at).total_seconds())
        if duration < 0:
            errors["ended_at"] = [_("The call cannot end before it starts.")]
        elif duration > MAX_CALL_SECONDS:
            errors["ended_at"] = [_("A call cannot last more than 24 hours.")]
    if recording_url:
        try:
            URLValidator(schemes=["http", "https"])(recording_url)
        except ValidationError:
            errors["recording_url"] = [_("Enter an http or https address.")]
    if errors:
        raise ValidationError(errors)
    return number, duration


# Roles a call's agent may have; a call is never attributed to a leader, an administrator or
# another integration account.
AGENT_ROLES = (Role.SERVICE_AGENT, Role.SALES_REP, Role.MARKETER, Role.ARCHIVE_ADMIN)


def _agent_user(agent: str) -> User | None:
    """The person an agent name stands for, if it is an active user of a role that takes calls."""
    if not agent:
        return None
    return User.objects.filter(
        username=agent,
        is_active=True,
        is_integration=False,
        is_superuser=False,
        role__in=AGENT_ROLES,
    ).first()


@dataclass(frozen=True)
class _Call:
    """A validated call event and what was read for it before writing."""

    call_id: str
    number: str  # the customer's, E.164
    direction: str
    started_at: datetime
    duration: int | None
    payload: dict[str, Any]
    summary: str
    channel: Channel | None
    agent_user: User | None
    match: PhoneMatch | None
    product_id: int | None = None  # the product chosen in the IVR, for routing a new lead


def call_event_receive(
    *,
    call_id: str,
    caller: str,
    callee: str,
    direction: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    agent: str = "",
    recording_url: str = "",
    ivr_path: str = "",
    notes: str = "",
    product: str = "",
) -> CallResult:
    """Put one call on the timeline of the customer whose number it is; an unknown number
    becomes a lead (channel "call center", the number as its first fact) for the assignment
    rules' next owner (by the number's region or the ``product`` code chosen in the IVR, see
    ``next_owner``). The owner is notified. A repeated ``call_id`` changes nothing and returns
    the first result.

    The reads (the repeat check, the number's match, the agent) come before the write
    transaction: a repeat never waits for the database's write lock (SQLite has one writer at a
    time), and the writes hold it briefly.
    """
    call_id = call_id.strip()
    existing = call_event_get(call_id=call_id)
    if existing is not None:
        return CallResult(existing, created=False)
    number, duration = _clean_call(
        call_id=call_id,
        caller=caller,
        callee=callee,
        direction=direction,
        started_at=started_at,
        ended_at=ended_at,
        recording_url=recording_url,
    )
    product_id = None
    if product.strip():
        product_id = (
            Product.objects.filter(code=product.strip()).values_list("pk", flat=True).first()
        )
        if product_id is None:
            raise ValidationError({"product": [_("No product has this code.")]})
    with stored_language():
        summary = _call_summary(
            direction=direction,
            number=number,
            duration=duration,
            ivr_path=ivr_path,
            agent=agent,
            notes=notes,
        )
    call = _Call(
        call_id=call_id,
        number=number,
        direction=direction,
        started_at=started_at,
        duration=duration,
        payload={
            "caller": caller,
            "callee": callee,
            "direction": direction,
            "started_at": started_at.isoformat(),
            "ended_at": ended_at.isoformat() if ended_at else None,
            "agent": agent,
            "recording_url": recording_url,
            "ivr_path": ivr_path,
            "notes": notes,
        },
        summary=summary,
        channel=channel_by_code(CALL_CENTER),
        agent_user=_agent_user(agent),
        match=phone_match_best(number=number),
        product_id=product_id,
    )
    return _call_event_write(call)


@transaction.atomic
def _call_event_write(call: _Call) -> CallResult:
    try:
        # The receipt first: a concurrent delivery of the same call waits here on the unique
        # call id, then finds the first one's result instead of creating a second lead.
        with transaction.atomic():
            event = CallEvent.objects.create(
                call_id=call.call_id, number=call.number, payload=call.payload
            )
    except IntegrityError:
        return CallResult(CallEvent.objects.get(call_id=call.call_id), created=False)

    match = call.match
    if match is None:
        assignment = assignment_locked()
        # Another call from this number may have created its lead meanwhile.
        match = phone_match_best(number=call.number)
        if match is None:
            with stored_language():
                name = _("Caller %(number)s") % {"number": format_phone_local(call.number)}
                note = _("call %(id)s") % {"id": call.call_id}
            customer = customer_services.customer_create(
                user=None,
                kind=Customer.Kind.PERSON,
                data={"name": name, "phones": [call.number]},
                channel=call.channel,
                owner=next_owner(
                    assignment, lead_facts(phone=call.number, product_id=call.product_id)
                ),
                assign_to_creator=False,
                note=note,
            )
            match = PhoneMatch(customer=customer, contact=None)
            event.match = CallEvent.Match.NEW_LEAD
    if not event.match:
        event.match = CallEvent.Match.CONTACT if match.contact else CallEvent.Match.CUSTOMER
    customer = live_customer(match.customer)
    contact = match.contact if match.contact and match.contact.customer_id == customer.pk else None

    interaction, _created = interaction_log(
        user=call.agent_user,
        customer=customer,
        contact=contact,
        type=Interaction.Type.PHONE_CALL,
        direction=call.direction,
        channel=call.channel,
        summary=call.summary,
        occurred_at=call.started_at,
        duration_seconds=call.duration,
        source=Interaction.Source.CALL_CENTER,
        external_id=call.call_id,
        details={"call_id": call.call_id, **call.payload},
    )
    event.customer, event.interaction = customer, interaction
    event.save(update_fields=["match", "customer", "interaction"])

    with owner_language(customer):
        who = f"{contact} ({customer})" if contact else str(customer)
        if event.match == CallEvent.Match.NEW_LEAD:
            text = _("New lead from the call center: %(number)s") % {
                "number": format_phone_local(call.number)
            }
        elif call.direction == Interaction.Direction.INBOUND:
            text = _("%(who)s called the call center") % {"who": who}
        else:
            text = _("The call center called %(who)s") % {"who": who}
    notify_owner(customer, text, skip=call.agent_user)
    return CallResult(event, created=True)
