"""Sending in the background: batches, throttling, retries, progress."""

import time
from datetime import datetime
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.interactions.models import Interaction
from kehu.interactions.services import interactions_log_many
from kehu.marketing import sms
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    DoNotContact,
    MessageTemplate,
    Send,
    Undeliverable,
)
from kehu.marketing.services.common import (
    INTERACTION_TYPE,
    PURPOSE_OF,
    _config,
    _require_manager,
    _touch,
)
from kehu.marketing.services.launch import sends_queue
from kehu.marketing.services.messages import _templates, email_message, language_for, sms_text
from kehu.privacy.selectors import customers_consenting


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
        # Mail providers echo it in their bounce reports (``email_bounce``).
        message.extra_headers["X-Kehu-Send"] = str(send.pk)
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
                send.sent_on = timezone.localdate(now)
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
                ["status", "sent_at", "sent_on", "error", "attempts", "provider_id", "interaction"],
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


def _bounce(rows: QuerySet[Send], *, hard: bool, error: str) -> int:
    """Mark ``rows`` bounced; a hard (permanent) bounce also marks their addresses
    undeliverable, so later campaigns neither queue them nor count their customers as
    reachable."""
    found = list(rows.values_list("pk", "campaign_id", "channel", "address"))
    if hard:
        now = timezone.now()
        for pk, _campaign_id, channel, address in found:
            if address:
                Undeliverable.objects.get_or_create(
                    channel=channel,
                    address=address,
                    defaults={"reason": error[:300], "at": now, "send_id": pk},
                )
    for campaign_id in {campaign_id for _pk, campaign_id, _c, _a in found}:
        _touch(campaign_id)
    return int(
        Send.objects.filter(pk__in=[f[0] for f in found]).update(
            status=Send.Status.BOUNCED, error=error[:300]
        )
    )


@transaction.atomic
def delivery_report(
    *, provider_id: str, delivered: bool, error: str = "", permanent: bool = False
) -> int:
    """A provider's delivery report for one SMS: delivered, or failed with its reason; a
    permanent failure (an empty or invalid number) is a hard bounce."""
    if not provider_id:
        return 0
    rows = Send.objects.filter(
        provider_id=provider_id, status__in=[Send.Status.SENT, Send.Status.DELIVERED]
    )
    if not delivered and permanent:
        return _bounce(rows, hard=True, error=error)
    status = Send.Status.DELIVERED if delivered else Send.Status.FAILED
    for campaign_id in set(rows.values_list("campaign_id", flat=True)):
        _touch(campaign_id)
    return int(rows.update(status=status, error=error[:300]))


@transaction.atomic
def email_bounce(*, send_id: int | None, address: str, hard: bool, reason: str = "") -> int:
    """A mail provider's bounce report: the campaign e-mail it names (``send_id``, echoed from
    the ``X-Kehu-Send`` header) or, without one, the last campaign e-mail sent to ``address``
    is marked bounced; a hard bounce marks the address undeliverable."""
    rows = Send.objects.filter(
        channel=CampaignChannel.EMAIL, status__in=[Send.Status.SENT, Send.Status.DELIVERED]
    )
    if send_id:
        rows = rows.filter(pk=send_id)
        if address:
            rows = rows.filter(address__iexact=address.strip())
    elif address.strip():
        last = rows.filter(address__iexact=address.strip()).order_by("-sent_at", "-id").first()
        rows = rows.filter(pk=last.pk if last else 0)
    else:
        return 0
    return _bounce(rows, hard=hard, error=reason or _("Bounced"))
