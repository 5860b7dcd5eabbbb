"""Messages: e-mail and SMS templates with merge fields, preview and test send."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.marketing import merge, sms
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    MessageTemplate,
)
from kehu.marketing.services.common import UNSUBSCRIBE_SALT, _config, _require_manager


def unsubscribe_token(member_id: int, channel: str) -> str:
    return signing.dumps({"m": member_id, "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(member_id: int, channel: str) -> str:
    path = reverse("marketing_public:unsubscribe", args=[unsubscribe_token(member_id, channel)])
    return str(_config("base_url")).rstrip("/") + path


def language_for(customer: Customer, available: list[str]) -> str:
    """Chinese unless the customer's name is written in Latin letters only, and an English
    message exists."""
    if "en" in available and (customer.name.isascii() or "zh-hans" not in available):
        return "en"
    return "zh-hans"


def _templates(campaign: Campaign, channel: str) -> dict[str, MessageTemplate]:
    return {t.language: t for t in campaign.templates.filter(channel=channel)}


def email_message(
    *,
    campaign: Campaign,
    template: MessageTemplate,
    customer: Customer,
    to: str,
    member_id: int | None,
) -> EmailMultiAlternatives:
    url = unsubscribe_url(member_id, CampaignChannel.EMAIL) if member_id else ""
    context = merge.context_for(
        customer, language=template.language, campaign=campaign.name, unsubscribe_url=url
    )
    rendered = merge.render(subject=template.subject, body=template.body, context=context)
    text, html = rendered.text, rendered.html
    if member_id and campaign.track_responses:
        from kehu.marketing.services.tracking import track_links

        text, html = track_links(text=text, html=html, member_id=member_id)
    headers = {"X-Kehu-Campaign": campaign.code}
    if url:
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def sms_text(*, campaign: Campaign, template: MessageTemplate, customer: Customer) -> str:
    context = merge.context_for(customer, language=template.language, campaign=campaign.name)
    return sms.with_signature(merge.render_plain(body=template.body, context=context))


def email_test_send(
    *, user: User, campaign: Campaign, language: str, to: str, customer: Customer | None = None
) -> None:
    """Send the e-mail as ``customer`` (else a sample person) would get it, to ``to``."""
    _require_manager(user)
    from django.core.validators import validate_email

    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": [_("Enter a valid e-mail address.")]}) from None
    template = _templates(campaign, CampaignChannel.EMAIL).get(language)
    if template is None:
        raise ValidationError({"language": [_("Write the e-mail in this language first.")]})
    sample = customer or Customer(name=_("Sample customer"), city="上海", owner=user)
    message = email_message(
        campaign=campaign, template=template, customer=sample, to=to, member_id=None
    )
    message.subject = f"[{_('Test')}] {message.subject}"
    message.send()
