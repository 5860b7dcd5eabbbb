"""Planning a campaign: the campaign, its costs, audience and channels."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.core.pinyin import romanized
from kehu.customers.models import Segment
from kehu.marketing import merge
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignCost,
    MessageTemplate,
)
from kehu.marketing.services.common import EDITABLE, SENT_BY_KEHU, _require_manager, _touch


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
    clean["track_responses"] = bool(data.get("track_responses"))
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
    base = slugify(romanized(name))[:30].strip("-") or "campaign"
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
    track_responses: bool = False,
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
            "track_responses": track_responses,
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
            "track_responses",
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


@transaction.atomic
def campaign_pick_list(*, user: User, campaign: Campaign) -> Segment:
    """The list segment of customers ``user`` hand-picks for a campaign not launched yet (the
    customer list's "add to campaign"), made and added to the campaign's audience on first use.
    Shared with ``user``'s team when they have one, so a colleague can launch the campaign."""
    from kehu.customers.segments import segment_list_for, team_ids_of

    _require_manager(user)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise Conflict(_("This campaign was launched already."))
    name = _("Hand-picked for %(campaign)s") % {"campaign": campaign.name}
    segment = segment_list_for(user=user, name=name[:100])
    team_ids = team_ids_of(user)
    if team_ids and segment.visibility != Segment.Visibility.TEAM:
        segment.visibility, segment.team_id = Segment.Visibility.TEAM, team_ids[0]
        segment.save(update_fields=["visibility", "team", "updated_at"])
    campaign.segments.add(segment)
    _touch(campaign.pk)
    return segment
