"""Satisfaction surveys after an event: a service case closed, an order delivered.

An administrator chooses the questionnaire per event (``SatisfactionTrigger``). The customer gets
a personal one-time link by e-mail when they agreed to e-mail (``Purpose.MARKETING_EMAIL``) and
have an address; otherwise, when they agreed to calls (``Purpose.MARKETING_PHONE``), the
invitation waits for an agent's phone interview (unsent, listed on the survey); without either
consent, nothing. At most one satisfaction invitation per customer every ``every_days`` days.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_account_admin
from kehu.core.audit import setting_changed
from kehu.customers.models import Customer
from kehu.surveys.links import new_nonce
from kehu.surveys.models import Invitation, SatisfactionTrigger, Survey, TriggerEvent
from kehu.surveys.services.common import logger
from kehu.surveys.services.invitations import _mail

MAX_EVERY_DAYS = 3650


@transaction.atomic
def satisfaction_trigger_save(
    *, user: User, event: str, survey_id: int | None, every_days: int, is_active: bool
) -> SatisfactionTrigger | None:
    """Choose the satisfaction survey sent after ``event``; no survey removes the trigger.
    Administrators only; returns the trigger (None when removed)."""
    require_account_admin(user, _("Only administrators choose the satisfaction surveys."))
    errors: dict[str, list[str]] = {}
    if event not in TriggerEvent.values:
        errors["event"] = [_("Choose an event from the list.")]
    if not 1 <= every_days <= MAX_EVERY_DAYS:
        message = _("Enter a number of days from 1 to %(n)s.") % {"n": MAX_EVERY_DAYS}
        errors["every_days"] = [message]
    survey = None
    if survey_id is not None:
        survey = Survey.objects.filter(pk=survey_id, kind=Survey.Kind.SATISFACTION).first()
        if survey is None:
            errors["survey"] = [_("Choose a satisfaction survey.")]
    if errors:
        raise ValidationError(errors)
    if survey is None:
        SatisfactionTrigger.objects.filter(event=event).delete()
        return None
    trigger, _created = SatisfactionTrigger.objects.update_or_create(
        event=event,
        defaults={"survey": survey, "every_days": every_days, "is_active": is_active},
    )
    setting_changed(actor=user, what=trigger)
    return trigger


@dataclass(frozen=True)
class Outcome:
    """What the trigger did: ``sent`` (e-mail), ``for_agent`` (phone interview), or why not."""

    status: str
    invitation: Invitation | None = None


def _consents(customer: Customer) -> set[str]:
    from kehu.privacy.models import Purpose
    from kehu.privacy.selectors import customers_consenting

    wanted = (Purpose.MARKETING_EMAIL, Purpose.MARKETING_PHONE)
    live = Customer.objects.filter(pk=customer.pk)
    return {purpose for purpose in wanted if customers_consenting(purpose, live).exists()}


@transaction.atomic
def satisfaction_invite(
    *, event: str, customer: Customer, case_id: int | None = None, order_id: int | None = None
) -> Outcome:
    """Invite ``customer`` to the satisfaction survey chosen for ``event``, if any, within the
    rate limit and their consent; idempotent per case or order. Returns what happened."""
    trigger = (
        SatisfactionTrigger.objects.select_related("survey")
        .filter(event=event, is_active=True)
        .first()
    )
    if trigger is None:
        return Outcome("no_trigger")
    survey = trigger.survey
    now = timezone.now()
    if survey.status != Survey.Status.PUBLISHED or (survey.deadline and survey.deadline <= now):
        return Outcome("survey_closed")
    if customer.status not in Customer.LIVE_STATUSES:
        return Outcome("not_live")
    # Locks the customer's row: two events at once must not both pass the rate limit.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    same = Invitation.objects.filter(survey=survey)
    if (case_id and same.filter(case_id=case_id).exists()) or (
        order_id and same.filter(order_id=order_id).exists()
    ):
        return Outcome("already")
    recent = Invitation.objects.filter(
        customer=customer,
        survey__kind=Survey.Kind.SATISFACTION,
        created_at__gt=now - timedelta(days=trigger.every_days),
    )
    if recent.exists():
        return Outcome("rate_limited")
    consents = _consents(customer)
    if not consents:
        return Outcome("no_consent")
    from kehu.privacy.models import Purpose

    invitation = Invitation.objects.create(
        survey=survey, customer=customer, nonce=new_nonce(), case_id=case_id, order_id=order_id
    )
    if Purpose.MARKETING_EMAIL in consents:
        base_url = str(settings.KEHU_MARKETING["base_url"])
        if _mail(invitation, reminder=False, base_url=base_url):
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
            return Outcome("sent", invitation)
    if Purpose.MARKETING_PHONE in consents:
        return Outcome("for_agent", invitation)
    # Agreed to e-mail only, and has no address: no way to ask.
    invitation.delete()
    logger.info("satisfaction survey for customer %s: no address to send to", customer.pk)
    return Outcome("no_address")
