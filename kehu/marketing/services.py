"""Every write of marketing campaigns: plan (campaign, costs, messages), launch (snapshot the
audience into members, hold out the control group, leave out who may not be contacted, queue
the messages), send (e-mail and SMS in batches, each contact an interaction on the customer's
timeline), call lists, responses, unsubscribes and the do-not-contact list."""

import logging
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact, can_manage_campaigns, require
from kehu.core.bulk import insert_rows
from kehu.core.exceptions import Conflict
from kehu.customers.models import NOT_LIVE, Customer, Email, Phone, Segment
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log, interactions_log_many
from kehu.marketing import merge, sms
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignCost,
    CampaignMember,
    DoNotContact,
    MessageTemplate,
    Response,
    Send,
)
from kehu.privacy.models import ConsentMethod, Purpose
from kehu.privacy.selectors import customers_consenting

log = logging.getLogger(__name__)

REFUSED = _("Only marketers and administrators may plan and send campaigns.")
UNSUBSCRIBE_SALT = "kehu.marketing.unsubscribe"

# The consent each channel needs (同意的用途); channels without one need no register entry but
# still respect the do-not-contact list.
PURPOSE_OF = {
    CampaignChannel.EMAIL: Purpose.MARKETING_EMAIL,
    CampaignChannel.SMS: Purpose.MARKETING_SMS,
    CampaignChannel.PHONE: Purpose.MARKETING_PHONE,
}
# Channels Kehu sends itself (queued at launch); the others are logged by people.
SENT_BY_KEHU = (CampaignChannel.EMAIL, CampaignChannel.SMS)
INTERACTION_TYPE = {
    CampaignChannel.EMAIL: Interaction.Type.EMAIL,
    CampaignChannel.SMS: Interaction.Type.SMS,
    CampaignChannel.PHONE: Interaction.Type.PHONE_CALL,
    CampaignChannel.DIRECT_MAIL: Interaction.Type.OTHER,
    CampaignChannel.EVENT: Interaction.Type.MARKETING_EVENT,
    CampaignChannel.WECHAT: Interaction.Type.IM,
}
EDITABLE = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)


def _config(key: str) -> Any:
    return settings.KEHU_MARKETING[key]


def _require_manager(user: User) -> None:
    require(user, can_manage_campaigns, REFUSED)


def _touch(campaign_id: int) -> None:
    """Mark the campaign changed: its cached results (keyed on ``updated_at``) are stale."""
    Campaign.objects.filter(pk=campaign_id).update(updated_at=timezone.now())


# --- planning ---------------------------------------------------------------------------------


def _clean_campaign(data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = [_("Give the campaign a name.")]
    clean["name"] = name[:200]
    clean["objective"] = str(data.get("objective", "")).strip()
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts, date) or not isinstance(ends, date):
        errors["starts_on"] = [_("Give the campaign's first and last day.")]
    elif ends < starts:
        errors["ends_on"] = [_("The campaign cannot end before it starts.")]
    clean["starts_on"], clean["ends_on"] = starts, ends
    try:
        budget = Decimal(str(data.get("budget") or "0"))
        if budget < 0 or budget >= Decimal("1e12"):
            raise InvalidOperation
    except InvalidOperation:
        errors["budget"] = [_("Enter a budget of zero or more.")]
        budget = Decimal(0)
    clean["budget"] = budget
    channels = list(dict.fromkeys(data.get("channels") or []))
    if not channels:
        errors["channels"] = [_("Choose at least one channel.")]
    elif any(c not in CampaignChannel.values for c in channels):
        errors["channels"] = [_("Unknown channel.")]
    clean["channels"] = channels
    control = data.get("control_percent") or 0
    if not isinstance(control, int) or not 0 <= control <= 50:
        errors["control_percent"] = [_("The control group is 0 to 50 per cent.")]
    clean["control_percent"] = control
    attribution = data.get("attribution") or Campaign.Attribution.LAST_TOUCH
    if attribution not in Campaign.Attribution.values:
        errors["attribution"] = [_("Unknown attribution.")]
    clean["attribution"] = attribution
    days = data.get("attribution_days") or 30
    if not isinstance(days, int) or not 1 <= days <= 365:
        errors["attribution_days"] = [_("The attribution window is 1 to 365 days.")]
    clean["attribution_days"] = days
    return clean


def _audience_sources(
    user: User, segment_ids: list[int], rule_id: int | None, errors: dict[str, list[str]]
) -> tuple[list[Segment], Any]:
    from kehu.basket.models import AssociationRule
    from kehu.customers.segments import segments_visible_to

    segments = list(segments_visible_to(user).filter(pk__in=segment_ids))
    if len(segments) != len(set(segment_ids)):
        errors["segment_ids"] = [_("Unknown segment.")]
    rule = None
    if rule_id:
        rule = AssociationRule.objects.select_related("run").filter(pk=rule_id).first()
        if rule is None:
            errors["cross_sell_rule_id"] = [_("Unknown cross-sell list.")]
    return segments, rule


def _unique_code(name: str) -> str:
    base = slugify(name)[:30] or "campaign"
    code, n = base, 1
    while Campaign.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


@transaction.atomic
def campaign_create(
    *,
    user: User,
    name: str,
    starts_on: date,
    ends_on: date,
    channels: list[str],
    objective: str = "",
    budget: Decimal | str | int = 0,
    control_percent: int = 0,
    attribution: str = Campaign.Attribution.LAST_TOUCH,
    attribution_days: int = 30,
    segment_ids: list[int] | None = None,
    cross_sell_rule_id: int | None = None,
    code: str = "",
) -> Campaign:
    """A draft campaign owned by ``user``, its audience from segments and/or a cross-sell
    list."""
    _require_manager(user)
    errors: dict[str, list[str]] = {}
    clean = _clean_campaign(
        {
            "name": name,
            "objective": objective,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "budget": budget,
            "channels": channels,
            "control_percent": control_percent,
            "attribution": attribution,
            "attribution_days": attribution_days,
        },
        errors,
    )
    segments, rule = _audience_sources(user, segment_ids or [], cross_sell_rule_id, errors)
    code = slugify(code)[:40]
    if code and Campaign.objects.filter(code=code).exists():
        errors["code"] = [_("Another campaign has this code.")]
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(
        owner=user, code=code or _unique_code(clean["name"]), cross_sell_rule=rule, **clean
    )
    campaign.segments.set(segments)
    return campaign


@transaction.atomic
def campaign_update(*, user: User, campaign: Campaign, data: dict[str, Any]) -> Campaign:
    """Change a campaign not launched yet (its audience, channels, period, budget…)."""
    _require_manager(user)
    if campaign.status not in EDITABLE:
        raise Conflict(_("A launched campaign's plan can no longer change; add costs instead."))
    current = {
        f: getattr(campaign, f)
        for f in (
            "name",
            "objective",
            "starts_on",
            "ends_on",
            "budget",
            "channels",
            "control_percent",
            "attribution",
            "attribution_days",
        )
    }
    errors: dict[str, list[str]] = {}
    clean = _clean_campaign({**current, **{k: v for k, v in data.items() if k in current}}, errors)
    segments: list[Segment] | None = None
    rule = campaign.cross_sell_rule
    if "segment_ids" in data or "cross_sell_rule_id" in data:
        segments, rule = _audience_sources(
            user,
            data.get("segment_ids") or [],
            data.get("cross_sell_rule_id") or None,
            errors,
        )
    if errors:
        raise ValidationError(errors)
    for key, value in clean.items():
        setattr(campaign, key, value)
    campaign.cross_sell_rule = rule
    if "status" in data and data["status"] in EDITABLE:
        campaign.status = data["status"]
    campaign.save()
    if segments is not None:
        campaign.segments.set(segments)
    return campaign


@transaction.atomic
def campaign_cost_add(
    *,
    user: User,
    campaign: Campaign,
    item: str,
    amount: Decimal | str | int,
    channel: str = "",
    incurred_on: date | None = None,
) -> CampaignCost:
    """One item of the campaign's actual cost (printing, SMS fees, the venue…)."""
    _require_manager(user)
    errors: dict[str, list[str]] = {}
    if not item.strip():
        errors["item"] = [_("Say what the cost was for.")]
    try:
        value = Decimal(str(amount))
        if value < 0 or value >= Decimal("1e12"):
            raise InvalidOperation
    except InvalidOperation:
        errors["amount"] = [_("Enter an amount of zero or more.")]
        value = Decimal(0)
    if channel and channel not in CampaignChannel.values:
        errors["channel"] = [_("Unknown channel.")]
    if errors:
        raise ValidationError(errors)
    _touch(campaign.pk)
    return CampaignCost.objects.create(
        campaign=campaign,
        item=item.strip()[:200],
        amount=value,
        channel=channel,
        incurred_on=incurred_on or timezone.localdate(),
    )


@transaction.atomic
def template_save(
    *, user: User, campaign: Campaign, channel: str, language: str, subject: str, body: str
) -> MessageTemplate:
    """The campaign's message for a channel (e-mail or SMS) in one language, checked: only
    merge fields and ``if``."""
    _require_manager(user)
    errors: dict[str, list[str]] = {}
    if channel not in SENT_BY_KEHU:
        errors["channel"] = [_("Messages are written for e-mail and SMS.")]
    if language not in MessageTemplate.Language.values:
        errors["language"] = [_("Unknown language.")]
    if not body.strip():
        errors["body"] = [_("Write the message.")]
    if channel == CampaignChannel.EMAIL and not subject.strip():
        errors["subject"] = [_("An e-mail needs a subject.")]
    if errors:
        raise ValidationError(errors)
    merge.check_template(body, "body")
    merge.check_template(subject, "subject")
    template, _created = MessageTemplate.objects.update_or_create(
        campaign=campaign,
        channel=channel,
        language=language,
        defaults={"subject": subject.strip()[:200], "body": body},
    )
    return template


# --- messages ---------------------------------------------------------------------------------


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
    headers = {"X-Kehu-Campaign": campaign.code}
    if url:
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
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


# --- launch -----------------------------------------------------------------------------------


def audience_ids(*, user: User, campaign: Campaign) -> set[int]:
    """The customers the campaign's segments and cross-sell list find now, as ``user`` sees
    them."""
    from kehu.basket.selectors import rule_targets
    from kehu.customers.segments import segment_customers

    found: set[int] = set()
    for segment in campaign.segments.all():
        segment_rows = segment_customers(user=user, segment=segment).order_by()
        found.update(segment_rows.values_list("pk", flat=True).distinct())
    if campaign.cross_sell_rule is not None:
        targets = rule_targets(user=user, rule=campaign.cross_sell_rule).order_by()
        live = targets.exclude(status__in=NOT_LIVE)
        found.update(live.values_list("pk", flat=True).distinct())
    return found


def _recent_contacts_q(now: datetime) -> Q:
    since = now - timedelta(days=_config("frequency_days"))
    return Q(status__in=[Send.Status.SENT, Send.Status.DELIVERED], sent_at__gte=since) | Q(
        status=Send.Status.QUEUED
    )


def _exclude(members: Any, reason: str) -> int:
    return int(members.update(group=CampaignMember.Group.EXCLUDED, excluded_reason=reason))


def _first_address(model: type[Email] | type[Phone], field: str) -> Subquery:
    return Subquery(
        model.objects.filter(customer=OuterRef("customer_id"))
        .order_by("contact_id", "id")
        .values(field)[:1]
    )


@transaction.atomic
def campaign_launch(*, user: User, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """Snapshot the audience into members, leave out who may not be contacted (do not contact,
    no consent for any of the campaign's channels, over the contact-frequency cap), hold out
    the control group at random, queue the e-mails and SMS; the sending starts after commit."""
    _require_manager(user)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise Conflict(_("This campaign was launched already."))
    now = now or timezone.now()
    ids = sorted(audience_ids(user=user, campaign=campaign))
    if not ids:
        raise ValidationError({"segment_ids": [_("The campaign's audience is empty.")]})
    columns = ["campaign_id", "customer_id", "group", "excluded_reason", "added_at"]
    stamp = now if connection.vendor == "postgresql" else now.isoformat(sep=" ")
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 20_000):
            rows = [
                (campaign.pk, cid, CampaignMember.Group.TARGET, "", stamp)
                for cid in ids[start : start + 20_000]
            ]
            insert_rows(cursor, CampaignMember._meta.db_table, columns, rows)
    members = CampaignMember.objects.filter(campaign=campaign, group=CampaignMember.Group.TARGET)
    exclusions: dict[str, int] = {}
    exclusions["do_not_contact"] = _exclude(
        members.filter(customer_id__in=DoNotContact.objects.values("customer_id")),
        "do_not_contact",
    )
    purposes = [PURPOSE_OF[c] for c in campaign.channels if c in PURPOSE_OF]
    if purposes and len(purposes) == len(campaign.channels):
        # Every channel needs consent: who gave none of them is left out.
        member_customers = Customer.objects.filter(pk__in=members.values("customer_id")).order_by()
        consenting = Q()
        for purpose in purposes:
            consenting |= Q(
                customer_id__in=customers_consenting(purpose, member_customers).values("pk")
            )
        exclusions["no_consent"] = _exclude(members.exclude(consenting), "no_consent")
    over_cap = (
        Send.objects.filter(_recent_contacts_q(now))
        .exclude(campaign=campaign)
        .values("member__customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=_config("frequency_cap"))
        .values("member__customer_id")
    )
    exclusions["frequency_cap"] = _exclude(
        members.filter(customer_id__in=over_cap), "frequency_cap"
    )
    kept = list(members.values_list("pk", flat=True))
    control_size = round(len(kept) * campaign.control_percent / 100)
    control = random.Random().sample(kept, control_size)  # noqa: S311 - a sample, not a secret
    for start in range(0, len(control), 500):
        CampaignMember.objects.filter(pk__in=control[start : start + 500]).update(
            group=CampaignMember.Group.CONTROL
        )
    campaign.audience_count = len(ids)
    campaign.member_count = len(kept) - control_size
    campaign.control_count = control_size
    campaign.exclusions = exclusions
    campaign.status = Campaign.Status.RUNNING
    campaign.launched_at = now
    campaign.launched_by = user
    campaign.save()
    queued = sends_queue(campaign=campaign)
    log.info("campaign %s launched: %s members, %s sends queued", campaign.pk, len(kept), queued)
    return campaign


def sends_queue(*, campaign: Campaign) -> int:
    """Queue one send per target member and channel Kehu sends (e-mail, SMS) that has a
    message, to the member's first address; members without one get none."""
    from kehu.marketing import tasks

    queued = 0
    targets = CampaignMember.objects.filter(campaign=campaign, group=CampaignMember.Group.TARGET)
    columns = ["campaign_id", "member_id", "channel", "status", "address", "attempts", "error"]
    columns += ["provider_id", "outcome"]
    for channel in SENT_BY_KEHU:
        if channel not in campaign.channels or not _templates(campaign, channel):
            continue
        model, field = (Email, "address") if channel == CampaignChannel.EMAIL else (Phone, "number")
        rows = [
            (campaign.pk, member_id, channel, Send.Status.QUEUED, address, 0, "", "", "")
            for member_id, address in targets.annotate(address=_first_address(model, field))
            .filter(address__isnull=False)
            .exclude(Exists(Send.objects.filter(member=OuterRef("pk"), channel=channel)))
            .values_list("pk", "address")
            .iterator(chunk_size=5000)
        ]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 20_000):
                insert_rows(cursor, Send._meta.db_table, columns, rows[start : start + 20_000])
        queued += len(rows)
        if rows:
            transaction.on_commit(
                lambda ch=channel: tasks.send_campaign(campaign.pk, ch)  # type: ignore[misc]
            )
    return queued


# --- sending ----------------------------------------------------------------------------------


def _may_contact(customer_ids: list[int], channel: str) -> set[int]:
    """Of ``customer_ids``, who may be contacted through ``channel`` now (checked again at send:
    consent withdrawn or do-not-contact set since the launch)."""
    base: QuerySet[Customer] = Customer.objects.filter(pk__in=customer_ids).exclude(
        pk__in=DoNotContact.objects.values("customer_id")
    )
    purpose = PURPOSE_OF.get(CampaignChannel(channel))
    if purpose is not None:
        base = customers_consenting(purpose, base)
    return set(base.values_list("pk", flat=True))


def _interaction_for(send: Send, summary: str, now: datetime, user: User | None) -> Interaction:
    campaign = send.campaign
    return Interaction(
        customer_id=send.member.customer_id,
        type=INTERACTION_TYPE[CampaignChannel(send.channel)],
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=now,
        user=user,
        summary=summary[:2000],
        outcome=send.outcome,
        source=Interaction.Source.SYSTEM,
        external_id=f"campaign-send:{send.pk}",
        details={"campaign_id": campaign.pk, "campaign": campaign.name, "send_id": send.pk},
    )


def _deliver(send: Send, templates: dict[str, MessageTemplate], conn: Any) -> str:
    """Send one message; its summary for the timeline."""
    customer = send.member.customer
    language = language_for(customer, list(templates))
    template = templates[language]
    if send.channel == CampaignChannel.EMAIL:
        message = email_message(
            campaign=send.campaign,
            template=template,
            customer=customer,
            to=send.address,
            member_id=send.member_id,
        )
        message.connection = conn
        message.send()
        return _("Campaign e-mail “%(campaign)s”: %(subject)s") % {
            "campaign": send.campaign.name,
            "subject": message.subject,
        }
    text = sms_text(campaign=send.campaign, template=template, customer=customer)
    result = sms.provider().send(to=send.address, text=text)
    send.provider_id = result.provider_id
    return _("Campaign SMS “%(campaign)s” (%(n)s segments): %(text)s") % {
        "campaign": send.campaign.name,
        "n": result.segments,
        "text": text,
    }


def sends_process(*, campaign_id: int, channel: str, limit: int | None = None) -> dict[str, int]:
    """Send the campaign's queued messages of ``channel`` in batches, at most ``per_second``
    a second; each queued send is tried once per call (a failure stays queued until
    ``max_attempts``). Returns counts; idempotent: only queued sends are touched."""
    campaign = Campaign.objects.get(pk=campaign_id)
    templates = _templates(campaign, channel)
    batch_size = int(_config("batch_size"))
    per_second = max(1, int(_config("per_second")))
    max_attempts = int(_config("max_attempts"))
    counts = {"sent": 0, "failed": 0, "skipped": 0, "retry": 0}
    last_id = 0
    done = 0
    conn = get_connection() if channel == CampaignChannel.EMAIL else None
    while limit is None or done < limit:
        started = time.monotonic()
        batch = list(
            Send.objects.filter(
                campaign_id=campaign_id, channel=channel, status=Send.Status.QUEUED, id__gt=last_id
            )
            .select_related(
                "campaign",
                "member__customer__person",
                "member__customer__organization",
                "member__customer__owner",
            )
            .order_by("id")[:batch_size]
        )
        if not batch:
            break
        last_id = batch[-1].pk
        allowed = _may_contact([s.member.customer_id for s in batch], channel)
        now = timezone.now()
        sent: list[tuple[Send, str]] = []
        if conn is not None:
            conn.open()
        try:
            for send in batch:
                if send.member.customer_id not in allowed or not templates:
                    send.status = Send.Status.SKIPPED
                    send.error = _("No consent or do not contact at send time.")
                    counts["skipped"] += 1
                    continue
                send.attempts += 1
                try:
                    summary = _deliver(send, templates, conn)
                except Exception as exc:
                    send.error = str(exc)[:300]
                    if send.attempts >= max_attempts:
                        send.status = Send.Status.FAILED
                        counts["failed"] += 1
                    else:
                        counts["retry"] += 1
                    continue
                send.status = Send.Status.SENT
                send.sent_at = now
                send.error = ""
                sent.append((send, summary))
                counts["sent"] += 1
        finally:
            if conn is not None:
                conn.close()
        with transaction.atomic():
            made = interactions_log_many(
                interactions=[_interaction_for(s, summary, now, None) for s, summary in sent]
            )
            for (send, _summary), interaction in zip(sent, made, strict=True):
                send.interaction = interaction
            Send.objects.bulk_update(
                batch,
                ["status", "sent_at", "error", "attempts", "provider_id", "interaction"],
            )
            _touch(campaign_id)
        done += len(batch)
        # Throttle: a batch takes at least len(batch) / per_second seconds.
        pause = len(batch) / per_second - (time.monotonic() - started)
        if pause > 0:
            time.sleep(pause)
    return counts


def campaign_send_now(*, user: User, campaign: Campaign) -> int:
    """Queue what is not queued yet (a message written after the launch) and start sending."""
    _require_manager(user)
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(_("Only a running campaign sends."))
    with transaction.atomic():
        return sends_queue(campaign=campaign)


@transaction.atomic
def campaign_finish(*, user: User, campaign: Campaign) -> Campaign:
    _require_manager(user)
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(_("Only a running campaign can be finished."))
    campaign.status = Campaign.Status.FINISHED
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    Send.objects.filter(campaign=campaign, status=Send.Status.QUEUED).update(
        status=Send.Status.SKIPPED, error=_("The campaign finished first.")
    )
    return campaign


def delivery_report(*, provider_id: str, delivered: bool, error: str = "") -> int:
    """A provider's delivery report for one SMS: delivered, or failed with its reason."""
    if not provider_id:
        return 0
    status = Send.Status.DELIVERED if delivered else Send.Status.FAILED
    rows = Send.objects.filter(
        provider_id=provider_id, status__in=[Send.Status.SENT, Send.Status.DELIVERED]
    )
    for campaign_id in set(rows.values_list("campaign_id", flat=True)):
        _touch(campaign_id)
    return int(rows.update(status=status, error=error[:300]))


# --- people's contacts: calls, direct mail, events --------------------------------------------


@transaction.atomic
def call_list_assign(*, user: User, campaign: Campaign, agents: list[User]) -> int:
    """Split the campaign's target members not yet assigned among ``agents`` (reps or service
    agents), in turn; returns how many were assigned."""
    _require_manager(user)
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(_("Launch the campaign before splitting its call list."))
    agents = [a for a in agents if a.is_active and can_log_contact(a)]
    if not agents:
        raise ValidationError({"agent_ids": [_("Choose who makes the calls.")]})
    ids = list(
        CampaignMember.objects.filter(
            campaign=campaign, group=CampaignMember.Group.TARGET, assigned_to__isnull=True
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for index, agent in enumerate(agents):
        share = ids[index :: len(agents)]
        for start in range(0, len(share), 500):
            CampaignMember.objects.filter(pk__in=share[start : start + 500]).update(
                assigned_to=agent
            )
    return len(ids)


@transaction.atomic
def contact_log(
    *,
    user: User,
    member: CampaignMember,
    channel: str,
    outcome: str,
    note: str = "",
    response: str = "",
) -> Send:
    """A contact made by a person (a call, a letter, an invitation, a WeChat message): logged
    as a sent contact and an interaction on the customer's timeline with its outcome; a
    response (called back, registered…) may be recorded with it."""
    campaign = member.campaign
    if not (can_manage_campaigns(user) or member.assigned_to_id == user.pk):
        raise Http404
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(_("Only a running campaign's members are contacted."))
    if channel not in campaign.channels or channel in SENT_BY_KEHU:
        raise ValidationError({"channel": [_("This campaign does not use this channel.")]})
    if member.group != CampaignMember.Group.TARGET:
        raise ValidationError({"member": [_("This member is not to be contacted.")]})
    if not outcome.strip():
        raise ValidationError({"outcome": [_("Say how the contact went.")]})
    if member.customer_id not in _may_contact([member.customer_id], channel):
        raise ValidationError(
            {"member": [_("This customer may not be contacted through this channel.")]}
        )
    send = Send.objects.create(
        campaign=campaign,
        member=member,
        channel=channel,
        status=Send.Status.SENT,
        sent_at=timezone.now(),
        attempts=1,
        outcome=outcome.strip()[:200],
        by=user,
    )
    interaction, _created = interaction_log(
        user=user,
        customer=member.customer,
        type=INTERACTION_TYPE[CampaignChannel(channel)],
        summary=(
            _("Campaign “%(campaign)s”: %(note)s")
            % {"campaign": campaign.name, "note": note.strip() or outcome.strip()}
        ),
        outcome=outcome,
        source=Interaction.Source.SYSTEM,
        external_id=f"campaign-send:{send.pk}",
        details={"campaign_id": campaign.pk, "campaign": campaign.name, "send_id": send.pk},
    )
    send.interaction = interaction
    send.save(update_fields=["interaction"])
    _touch(campaign.pk)
    if response:
        response_record(user=user, member=member, kind=response, channel=channel)
    return send


# --- responses, unsubscribes, do not contact --------------------------------------------------


@transaction.atomic
def response_record(
    *,
    user: User | None,
    member: CampaignMember,
    kind: str,
    channel: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Response:
    """What a member did in answer (replied, registered, attended, clicked, called back,
    unsubscribed)."""
    if user is not None and not (can_manage_campaigns(user) or member.assigned_to_id == user.pk):
        raise Http404
    errors: dict[str, list[str]] = {}
    if kind not in Response.Kind.values:
        errors["kind"] = [_("Unknown response.")]
    if channel and channel not in CampaignChannel.values:
        errors["channel"] = [_("Unknown channel.")]
    when = at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        errors["at"] = [_("A response cannot be in the future.")]
    if member.campaign.launched_at is None:
        errors["member"] = [_("The campaign has not been launched.")]
    if errors:
        raise ValidationError(errors)
    if not channel:
        last = member.sends.filter(status__in=[Send.Status.SENT, Send.Status.DELIVERED]).last()
        channel = last.channel if last else ""
    _touch(member.campaign_id)
    return Response.objects.create(
        member=member, kind=kind, channel=channel, at=when, note=note.strip()[:300],
        recorded_by=user,
    )  # fmt: skip


def unsubscribe_read(token: str) -> tuple[CampaignMember, str]:
    """The member and channel a signed unsubscribe link names; ``Http404`` if it is forged."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        member_id, channel = int(data["m"]), str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404 from None
    member = CampaignMember.objects.select_related("campaign", "customer").filter(pk=member_id)
    found = member.first()
    if found is None or channel not in CampaignChannel.values:
        raise Http404
    return found, channel


@transaction.atomic
def unsubscribe(*, token: str, ip_address: str | None = None) -> CampaignMember:
    """The one-click unsubscribe: withdraws the channel's consent in the consent register and
    records the response. Clicking twice records it once."""
    from kehu.privacy.services import consent_record

    member, channel = unsubscribe_read(token)
    purpose = PURPOSE_OF.get(CampaignChannel(channel), Purpose.MARKETING_EMAIL)
    reference = f"unsubscribe link, campaign {member.campaign.code}"
    if member.customer_id in set(
        customers_consenting(purpose, Customer.objects.filter(pk=member.customer_id)).values_list(
            "pk", flat=True
        )
    ):
        consent_record(
            user=None,
            customer=member.customer,
            purpose=purpose,
            granted=False,
            method=ConsentMethod.WEB_FORM,
            reference=reference,
            ip_address=ip_address,
        )
    if not member.responses.filter(kind=Response.Kind.UNSUBSCRIBED).exists():
        response_record(user=None, member=member, kind=Response.Kind.UNSUBSCRIBED, channel=channel)
    return member


@transaction.atomic
def do_not_contact_set(
    *, user: User, customer: Customer, on: bool, reason: str = ""
) -> DoNotContact | None:
    """Mark a customer "do not contact" for every campaign (or clear the mark)."""
    _require_manager(user)
    if not on:
        DoNotContact.objects.filter(customer=customer).delete()
        return None
    mark, _created = DoNotContact.objects.update_or_create(
        customer=customer,
        defaults={"reason": reason.strip()[:200], "at": timezone.now(), "by": user},
    )
    return mark
