"""Launch: the audience snapshotted into members, the control group held out, exclusions applied."""

import random
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.bulk import insert_rows
from kehu.core.exceptions import Conflict
from kehu.customers.models import NOT_LIVE, Customer, Email, Phone
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    DoNotContact,
    Send,
    Undeliverable,
)
from kehu.marketing.selectors import campaign_results_queue
from kehu.marketing.services.common import (
    EDITABLE,
    PURPOSE_OF,
    SENT_BY_KEHU,
    _config,
    _require_manager,
    log,
)
from kehu.marketing.services.messages import _templates
from kehu.privacy.selectors import customers_consenting


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


def _channel_addresses(channel: str) -> tuple[type[Email] | type[Phone], str]:
    return (Email, "address") if channel == CampaignChannel.EMAIL else (Phone, "number")


def _dead(channel: str) -> Any:
    """The addresses of ``channel`` reported undeliverable (hard bounces)."""
    return Undeliverable.objects.filter(channel=channel).values("address")


def _first_address(channel: str) -> Subquery:
    """The member's first address of ``channel`` not reported undeliverable."""
    model, field = _channel_addresses(channel)
    return Subquery(
        model.objects.filter(customer=OuterRef("customer_id"))
        .exclude(**{f"{field}__in": _dead(channel)})
        .order_by("contact_id", "id")
        .values(field)[:1]
    )


def _undeliverable_q(channels: list[str]) -> Q | None:
    """Members Kehu cannot reach at all: every channel of the campaign is one Kehu sends,
    the customer has an address reported undeliverable on one of them and no other address
    on any. None when a person's channel (telephone, letters…) could still reach them."""
    if not channels or any(c not in SENT_BY_KEHU for c in channels):
        return None
    dead_one, live_one = Q(), Q()
    for channel in channels:
        model, field = _channel_addresses(channel)
        rows = model.objects.filter(customer=OuterRef("customer_id"))
        dead_one |= Q(Exists(rows.filter(**{f"{field}__in": _dead(channel)})))
        live_one |= Q(Exists(rows.exclude(**{f"{field}__in": _dead(channel)})))
    return dead_one & ~live_one


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
    unreachable = _undeliverable_q(list(campaign.channels))
    if unreachable is not None:
        exclusions["undeliverable"] = _exclude(members.filter(unreachable), "undeliverable")
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
    # The results page's first figures, computed in the background rather than on its first view.
    transaction.on_commit(lambda: campaign_results_queue(campaign.pk))
    if connection.vendor == "postgresql":
        _analyze_launch_tables()  # in the transaction: it counts the rows just added
    log.info("campaign %s launched: %s members, %s sends queued", campaign.pk, len(kept), queued)
    return campaign


def _analyze_launch_tables() -> None:
    """Fresh planner statistics for the rows a launch adds at once (up to a whole archive of
    members and sends): the results page's attribution query is planned from them, and with
    the counts from before the launch PostgreSQL chose a plan that ran for minutes (autovacuum
    would catch up, but may be slow or off). ANALYZE samples, so it costs well under a second
    at 100,000 members. SQLite's plans for these queries are fixed by their join order."""
    with connection.cursor() as cursor:
        for model in (CampaignMember, Send):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


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
        rows = [
            (campaign.pk, member_id, channel, Send.Status.QUEUED, address, 0, "", "", "")
            for member_id, address in targets.annotate(address=_first_address(channel))
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
