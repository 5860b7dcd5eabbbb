"""Invitations by personal link, reminders, the phone-interview mode."""

import secrets

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.surveys.links import LinkProblem, invitation_token, invitation_token_read, new_nonce
from kehu.surveys.models import Invitation, Survey
from kehu.surveys.services.common import _require_runner


def invitation_url(invitation: Invitation, *, base_url: str = "") -> str:
    """The personal link; ``base_url`` is the site's address (``https://crm.example.com``)."""
    token = invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce)
    return f"{base_url.rstrip('/')}{reverse('survey_public:answer', args=[token])}"


def _require_open(survey: Survey) -> None:
    if survey.status != Survey.Status.PUBLISHED:
        raise Conflict(_("This survey is not open for answers."))
    if survey.deadline is not None and survey.deadline <= timezone.now():
        raise Conflict(_("The deadline of this survey has passed."))


@transaction.atomic
def invitations_create(
    *, user: User, survey: Survey, customers: list[Customer], language: str = "zh-hans"
) -> list[Invitation]:
    """One personal link per customer (who has none yet for this survey); returns the new ones."""
    _require_runner(user)
    _require_open(survey)
    if survey.kind == Survey.Kind.MARKET:
        raise Conflict(_("A market survey is answered anonymously through its public link."))
    have = set(
        Invitation.objects.filter(survey=survey, customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    return Invitation.objects.bulk_create(
        Invitation(survey=survey, customer=c, nonce=new_nonce(), language=language, created_by=user)
        for c in customers
        if c.pk not in have
    )


def _mail(invitation: Invitation, *, reminder: bool, base_url: str) -> bool:
    address = invitation.customer.emails.values_list("address", flat=True).first()
    if not address:
        return False
    with translation.override(invitation.language):
        survey = invitation.survey
        subject = _("Reminder: %(title)s") % {"title": survey.title} if reminder else survey.title
        lines = [
            _("Dear %(name)s,") % {"name": invitation.customer.name},
            "",
            survey.intro or _("We would like to hear your opinion."),
            "",
            _("Answer here (the link works once): %(url)s")
            % {"url": invitation_url(invitation, base_url=base_url)},
        ]
        if survey.deadline:
            lines.append(
                _("Please answer by %(date)s.")
                % {"date": timezone.localtime(survey.deadline).strftime("%Y-%m-%d %H:%M")}
            )
        send_mail(subject, "\n".join(lines), None, [address])
    return True


def invitations_send(*, user: User | None, survey: Survey, base_url: str = "") -> int:
    """E-mail every invitation not sent yet; returns how many went out (customers without an
    e-mail address wait for a phone interview)."""
    if user is not None:
        _require_runner(user)
    _require_open(survey)
    sent = 0
    pending = Invitation.objects.filter(survey=survey, sent_at=None, answered_at=None)
    for invitation in pending.select_related("customer", "survey"):
        if _mail(invitation, reminder=False, base_url=base_url):
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
            sent += 1
    return sent


def survey_remind(*, user: User | None, survey: Survey, base_url: str = "") -> int:
    """Remind, once, everyone who was sent the link and has not answered; returns the count."""
    if user is not None:
        _require_runner(user)
    _require_open(survey)
    reminded = 0
    waiting = Invitation.objects.filter(
        survey=survey, answered_at=None, reminded_at=None, sent_at__isnull=False
    )
    for invitation in waiting.select_related("customer", "survey"):
        if _mail(invitation, reminder=True, base_url=base_url):
            Invitation.objects.filter(pk=invitation.pk).update(reminded_at=timezone.now())
            reminded += 1
    return reminded


def invitation_for_token(token: str) -> Invitation:
    """The open invitation a link names; raises ``LinkProblem`` (invalid, expired, used, closed)."""
    invitation_id, nonce = invitation_token_read(token)
    invitation = (
        Invitation.objects.select_related("survey", "customer").filter(pk=invitation_id).first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        raise LinkProblem("invalid")
    if invitation.answered_at is not None:
        raise LinkProblem("used")
    survey = invitation.survey
    if survey.deadline is not None and survey.deadline <= timezone.now():
        raise LinkProblem("expired")
    if survey.status != Survey.Status.PUBLISHED:
        raise LinkProblem("closed")
    return invitation
