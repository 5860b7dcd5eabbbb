"""Every write of the care calendar (关怀): care plans, the tasks they give the customers'
owners ahead of each date, and a care task done in one click (the task closed and the greeting
logged as an interaction)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Membership, User
from kehu.core.access import can_manage_loyalty, require
from kehu.core.audit import setting_changed
from kehu.core.i18n import in_language_of
from kehu.customers.models import Contact, Customer, OrganizationProfile, PersonProfile
from kehu.customers.segments import segment_customers, segments_visible_to
from kehu.customers.selectors import customers_visible_to
from kehu.interactions.models import Interaction
from kehu.interactions.services import birthday_in, interaction_log
from kehu.loyalty.festivals import festivals_between
from kehu.loyalty.models import CareAction, CarePlan, CareTask, Festival, Occasion
from kehu.marketing import sms
from kehu.sales.models import Order
from kehu.tasks.models import Task
from kehu.tasks.services import task_create, task_done

MANAGE_REFUSED = _("Only marketers and administrators may change care plans.")
PLAN_FIELDS = (
    "name",
    "occasion",
    "festival",
    "grade",
    "level",
    "segment",
    "action",
    "days_before",
    "gift_budget",
    "is_active",
)
INTERACTION_TYPE = {
    CareAction.CALL: Interaction.Type.PHONE_CALL,
    CareAction.CARD: Interaction.Type.VISIT,
    CareAction.GIFT: Interaction.Type.VISIT,
    CareAction.EMAIL: Interaction.Type.EMAIL,
    CareAction.SMS: Interaction.Type.SMS,
}
# a mainland number that takes SMS (landlines, +86 but not 1…, do not); numbers abroad are kept
_MAINLAND_MOBILE = re.compile(r"\+861\d{10}")


@transaction.atomic
def care_plan_save(*, user: User, data: dict[str, Any], plan: CarePlan | None = None) -> CarePlan:
    """Create or change a care plan; audited."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    plan = plan or CarePlan()
    changed = [name for name, value in data.items() if getattr(plan, name) != value]
    for name in changed:
        setattr(plan, name, data[name])
    if plan.occasion == Occasion.FESTIVAL and plan.festival_id is None:
        raise ValidationError({"festival": [_("Choose the festival.")]})
    if plan.grade and plan.grade not in Customer.Grade.values:
        raise ValidationError({"grade": [_("Choose a valid grade.")]})
    segment = plan.segment
    if "segment" in changed and segment and not segments_visible_to(user).filter(pk=segment.pk):
        raise ValidationError({"segment": [_("Choose one of your segments.")]})
    plan.full_clean()
    plan.save()
    setting_changed(actor=user, what=plan, changed=changed)
    return plan


@transaction.atomic
def festival_save(
    *, user: User, data: dict[str, Any], festival: Festival | None = None
) -> Festival:
    """A user-defined festival (or a change to a built-in one); audited."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    festival = festival or Festival()
    changed = [name for name, value in data.items() if getattr(festival, name) != value]
    for name in changed:
        setattr(festival, name, data[name])
    festival.full_clean()
    festival.save()
    setting_changed(actor=user, what=festival, changed=changed)
    return festival


# --- the dates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One customer's (or contact's) date that a plan cares for."""

    customer_id: int
    on: date
    contact_id: int | None = None
    label: str = ""


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _month_day_q(field: str, days: list[date]) -> Q:
    q = Q(pk__in=[])
    for day in days:
        q |= Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
        if (day.month, day.day) == (2, 28) and birthday_in(date(2000, 2, 29), day.year) == day:
            q |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return q


def _on(born: date, days: list[date]) -> date | None:
    for day in days:
        if birthday_in(born, day.year) == day:
            return day
    return None


def plan_dates(plan: CarePlan, start: date, end: date) -> list[Due]:
    """The dates of ``plan``'s customers from ``start`` to ``end`` (customers filtered by the
    plan's grade, member level and segment, as its owner sees it; live, with an active owner)."""
    customers = Customer.objects.live().filter(owner__is_active=True)
    if plan.segment is not None:
        audience = segment_customers(user=plan.segment.owner, segment=plan.segment)
        customers = customers.filter(pk__in=audience.order_by().values("pk"))
    if plan.grade:
        customers = customers.filter(grade=plan.grade)
    if plan.level_id:
        customers = customers.filter(member__level_id=plan.level_id)
    days = _days(start, end)
    found: list[Due] = []
    if plan.occasion == Occasion.FESTIVAL:
        for festival, day in festivals_between(start, end):
            if festival.pk == plan.festival_id:
                found += [
                    Due(pk, day, label=festival.name)
                    for pk in customers.values_list("pk", flat=True)
                ]
    elif plan.occasion == Occasion.BIRTHDAY:
        rows = PersonProfile.objects.filter(
            _month_day_q("birth_date", days), customer__in=customers
        )
        for customer_id, born in rows.values_list("customer_id", "birth_date"):
            if born is not None and (on := _on(born, days)) is not None:
                found.append(Due(customer_id, on, label=_("birthday")))
    elif plan.occasion == Occasion.CONTACT_BIRTHDAY:
        contacts = Contact.objects.filter(_month_day_q("birthday", days), customer__in=customers)
        for pk, customer_id, born, name in contacts.values_list(
            "pk", "customer_id", "birthday", "name"
        ):
            if born is not None and (on := _on(born, days)) is not None:
                found.append(
                    Due(
                        customer_id,
                        on,
                        contact_id=pk,
                        label=_("%(name)s's birthday") % {"name": name},
                    )
                )
    elif plan.occasion == Occasion.FOUNDING:
        orgs = OrganizationProfile.objects.filter(
            _month_day_q("founded_on", days), customer__in=customers
        )
        for customer_id, founded in orgs.values_list("customer_id", "founded_on"):
            if founded and (on := _on(founded, days)) is not None and on.year > founded.year:
                found.append(Due(customer_id, on, label=_("founding day")))
    elif plan.occasion == Occasion.ANNIVERSARY:
        # becoming a customer: the customer's first order
        orders = Order.objects.filter(
            _month_day_q("ordered_on", days), first_for_customer=True, customer__in=customers
        ).exclude(status=Order.Status.CANCELLED)
        for customer_id, first in orders.values_list("customer_id", "ordered_on"):
            if (on := _on(first, days)) is not None and on.year > first.year:
                found.append(Due(customer_id, on, label=_("anniversary as a customer")))
    return found


def _due_at(plan: CarePlan, on: date) -> datetime:
    # a card or a gift has to arrive before the day; a call or an e-mail is made on it
    if plan.action in (CareAction.CARD, CareAction.GIFT):
        on -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(on, time(9, 0)))


def _title(plan: CarePlan, due: Due, customer: Customer) -> str:
    action = dict(CareAction.choices)[plan.action]
    text = f"{action} · {due.label} · {customer.name}"
    if plan.action == CareAction.GIFT and plan.gift_budget:
        text += " · " + _("budget %(amount)s yuan") % {"amount": plan.gift_budget}
    return text[:200]


def care_tasks_generate(*, today: date) -> int:
    """Give each active plan's customers' owners a task, ``days_before`` ahead of each date.
    Idempotent (one care task per plan, customer, contact and date); returns how many were
    made. Run daily."""
    made = 0
    for plan in CarePlan.objects.filter(is_active=True).select_related(
        "festival", "segment__owner"
    ):
        dues = plan_dates(plan, today, today + timedelta(days=plan.days_before))
        customers = Customer.objects.in_bulk({d.customer_id for d in dues})
        for due in dues:
            key = f"{plan.pk}:{due.customer_id}:{due.contact_id or 0}:{due.on.isoformat()}"
            customer = customers[due.customer_id]
            owner = customer.owner
            if owner is None or CareTask.objects.filter(key=key).exists():
                continue
            key_customer = customer.grade == Customer.Grade.IMPORTANT
            with transaction.atomic(), in_language_of(owner):
                task = task_create(
                    user=owner,
                    title=_title(plan, due, customer),
                    due_at=_due_at(plan, due.on),
                    customer=customer,
                    kind=Task.Kind.CALL if plan.action == CareAction.CALL else Task.Kind.TODO,
                    priority=Task.Priority.HIGH if key_customer else Task.Priority.NORMAL,
                    notes=plan.name,
                )
                CareTask.objects.create(
                    plan=plan,
                    customer=customer,
                    contact_id=due.contact_id,
                    occasion_on=due.on,
                    key=key,
                    task=task,
                    owner=owner,
                    team_id=Membership.objects.filter(user=owner)
                    .order_by("id")
                    .values_list("team_id", flat=True)
                    .first(),
                    is_key_customer=key_customer,
                )
            made += 1
    return made


def _consented(care_task: CareTask, purpose: str, message: str) -> None:
    from kehu.privacy.selectors import customers_consenting

    customer = Customer.objects.filter(pk=care_task.customer_id)
    if not customers_consenting(purpose, customer).exists():
        raise ValidationError({"send": [message]})


def _greeting_address(care_task: CareTask) -> str:
    """Where an e-mail greeting goes (the contact's address, else the customer's); refuses a
    customer who has not agreed to marketing e-mail, and no address."""
    from kehu.privacy.models import Purpose

    message = _("The customer has not agreed to e-mail: mark it done without sending.")
    _consented(care_task, Purpose.MARKETING_EMAIL, message)
    owner = care_task.contact or care_task.customer
    address = owner.emails.values_list("address", flat=True).first()
    if not address:
        raise ValidationError({"send": [_("There is no e-mail address to send to.")]})
    return str(address)


def _is_mobile(number: str) -> bool:
    return bool(_MAINLAND_MOBILE.fullmatch(number)) or not number.startswith("+86")


def _greeting_mobile(care_task: CareTask) -> str:
    """Where an SMS greeting goes: the contact's mobile, else the customer's (its own number
    first, then its contacts'); refuses a customer who has not agreed to marketing SMS, and
    no mobile number (a mainland landline cannot take an SMS)."""
    from kehu.customers.models import Phone
    from kehu.privacy.models import Purpose

    message = _("The customer has not agreed to SMS: mark it done without sending.")
    _consented(care_task, Purpose.MARKETING_SMS, message)
    phones = Phone.objects.filter(customer_id=care_task.customer_id)
    numbers: list[str] = []
    if care_task.contact_id is not None:
        numbers += phones.filter(contact_id=care_task.contact_id).values_list("number", flat=True)
    numbers += phones.order_by(models.F("contact_id").asc(nulls_first=True), "id").values_list(
        "number", flat=True
    )
    number = next((n for n in numbers if _is_mobile(n)), None)
    if number is None:
        raise ValidationError({"send": [_("There is no mobile number to send the SMS to.")]})
    return number


def _sms_text(text: str) -> str:
    """The greeting with the sender's 【signature】, refused when longer than the SMS rules
    allow (``kehu.marketing.sms``)."""
    signed = sms.with_signature(text)
    if sms.segments(signed) > sms.MAX_SEGMENTS:
        limit = sms.MAX_SEGMENTS * sms.MULTI_SEGMENT
        message = _(
            "The SMS is too long: %(length)s characters with the signature, at most %(limit)s."
        ) % {"length": len(signed), "limit": limit}
        raise ValidationError({"note": [message]})
    return signed


def _greeting_send(care_task: CareTask, text: str) -> tuple[Callable[[], object], str]:
    """What sends ``care_task``'s greeting (run after the commit) and the line logged with it;
    refusals are raised before anything is written."""
    action = care_task.plan.action
    if action not in (CareAction.EMAIL, CareAction.SMS):
        message = _("Only an e-mail or SMS greeting is sent from Kehu.")
        raise ValidationError({"send": [message]})
    if not text:
        raise ValidationError({"note": [_("Write the greeting to send.")]})
    if action == CareAction.SMS:
        signed = _sms_text(text)
        number = _greeting_mobile(care_task)
        return (lambda: sms.provider().send(to=number, text=signed)), _("Sent by SMS.")
    address = _greeting_address(care_task)
    return (lambda: send_mail(_("Best wishes"), text, None, [address])), _("Sent by e-mail.")


@transaction.atomic
def care_task_done(
    *,
    user: User,
    care_task: CareTask,
    gift_cost: Decimal | None = None,
    note: str = "",
    send: bool = False,
) -> CareTask:
    """Done in one click: the task is closed and the greeting logged as an interaction with
    the customer (once; a second click changes nothing). With ``send``, an e-mail or SMS
    plan's greeting (``note``) is also sent to the customer, after the commit, with consent to
    that channel (SMS through the marketing SMS provider, with the 【signature】)."""
    care_task = (
        CareTask.objects.select_for_update().select_related("plan", "task").get(pk=care_task.pk)
    )
    if not customers_visible_to(user).filter(pk=care_task.customer_id).exists():
        raise Http404
    if care_task.done_at is not None:
        return care_task
    if gift_cost is not None and gift_cost < 0:
        raise ValidationError({"gift_cost": [_("The cost cannot be negative.")]})
    plan = care_task.plan
    text = note.strip()
    if send:
        deliver, sent = _greeting_send(care_task, text)
        # robust: a provider or mail server failing after the commit is logged (the task is
        # done and the greeting logged either way) rather than an error page
        transaction.on_commit(deliver, robust=True)
        text = f"{text}\n{sent}"
    interaction, _created = interaction_log(
        user=user,
        customer=care_task.customer,
        type=INTERACTION_TYPE[CareAction(plan.action)],
        summary=(text or care_task.task.title)[:2000],
        contact=care_task.contact,
        source=Interaction.Source.MANUAL,
    )
    task_done(user=user, task=care_task.task)
    care_task.done_at = timezone.now()
    care_task.interaction = interaction
    if gift_cost is None and plan.action == CareAction.GIFT:
        gift_cost = plan.gift_budget
    care_task.gift_cost = gift_cost
    care_task.save(update_fields=["done_at", "interaction", "gift_cost", "updated_at"])
    return care_task
