"""Marketing campaigns (营销活动): the audience snapshotted into members at launch, a random
control group held out, contacts sent through channels (each one an interaction on the
customer's timeline), responses, costs; and the do-not-contact list."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.models import TimeStampedModel, choices_check


class CampaignChannel(models.TextChoices):
    """How a campaign reaches people (渠道)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Telephone")
    DIRECT_MAIL = "direct_mail", _("Direct mail")
    EVENT = "event", _("Event or exhibition")
    WECHAT = "wechat", _("WeChat / other")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class Attribution(models.TextChoices):
    LAST_TOUCH = "last_touch", _("Last touch")
    FIRST_TOUCH = "first_touch", _("First touch")


class MemberGroup(models.TextChoices):
    TARGET = "target", _("Target")
    CONTROL = "control", _("Control group")
    EXCLUDED = "excluded", _("Excluded")


class SendStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SKIPPED = "skipped", _("Skipped")


class ResponseKind(models.TextChoices):
    REPLIED = "replied", _("Replied")
    REGISTERED = "registered", _("Registered")
    ATTENDED = "attended", _("Attended")
    OPENED = "opened", pgettext_lazy("campaign response", "Opened")
    CLICKED = "clicked", _("Clicked")
    CALLED_BACK = "called_back", _("Called back")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Campaign(TimeStampedModel):
    """A marketing campaign (营销活动)."""

    Status = CampaignStatus

    Attribution = Attribution

    name = models.CharField(_("name"), max_length=200)
    objective = models.TextField(_("objective"), blank=True)
    # A short code for links and web forms (?campaign=CODE).
    code = models.SlugField(_("campaign code"), max_length=40, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    control_percent = models.PositiveSmallIntegerField(_("control group (%)"), default=0)
    attribution = models.CharField(
        _("attribution"),
        max_length=12,
        choices=Attribution.choices,
        default=Attribution.LAST_TOUCH,
    )
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=30)
    # Open pixel and click-through links in the campaign's e-mails (off by default).
    track_responses = models.BooleanField(_("track opens and clicks"), default=False)
    # When a scheduled campaign launches itself (the periodic task ``launch_due_campaigns``).
    scheduled_at = models.DateTimeField(_("launch at"), null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    segments = models.ManyToManyField(
        "customers.Segment", verbose_name=_("segments"), blank=True, related_name="+"
    )
    cross_sell_rule = models.ForeignKey(
        "basket.AssociationRule",
        verbose_name=_("cross-sell list"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("launched by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The launch's figures: audience found, members kept, control group, exclusions by reason.
    audience_count = models.PositiveIntegerField(_("audience"), default=0)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    control_count = models.PositiveIntegerField(_("control group"), default=0)
    exclusions = models.JSONField(_("exclusions"), default=dict, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["status", "-starts_on"])]
        constraints = [
            choices_check("status", CampaignStatus, "marketing_campaign_status_valid"),
            choices_check("attribution", Attribution, "marketing_campaign_attribution_valid"),
            models.CheckConstraint(
                condition=models.Q(control_percent__lte=50), name="marketing_control_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="marketing_campaign_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignCost(TimeStampedModel):
    """One item of a campaign's actual costs (实际费用), optionally of one channel."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    item = models.CharField(_("item"), max_length=200)
    channel = models.CharField(
        _("channel"), max_length=12, choices=CampaignChannel.choices, blank=True
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    incurred_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")
        ordering = ["incurred_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="marketing_cost_amount")
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.amount}"


class MessageTemplate(TimeStampedModel):
    """A campaign's message in one language and channel, with merge fields ({{ name }})."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("Simplified Chinese")
        EN = "en", _("English")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="templates")
    channel = models.CharField(_("channel"), max_length=12, choices=CampaignChannel.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "language"], name="marketing_template_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.channel} {self.language}"


class CampaignMember(models.Model):
    """A customer in a campaign's audience, as it was at launch (活动成员)."""

    Group = MemberGroup

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    group = models.CharField(_("group"), max_length=10, choices=MemberGroup.choices)
    # Why an excluded member was left out: do_not_contact, no_consent, frequency_cap,
    # undeliverable.
    excluded_reason = models.CharField(_("excluded because"), max_length=20, blank=True)
    # The rep or agent who calls this member (telephone call lists).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["campaign", "group"]),
            models.Index(fields=["assigned_to", "campaign"]),
            models.Index(fields=["customer"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="marketing_member_once"),
            choices_check("group", MemberGroup, "marketing_member_group_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"


class Send(models.Model):
    """One contact of a member through a channel: queued, then sent (with the interaction on
    the customer's timeline), failed after its retries, or skipped at send time."""

    Status = SendStatus

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sends")
    member = models.ForeignKey(CampaignMember, on_delete=models.CASCADE, related_name="sends")
    channel = models.CharField(_("channel"), max_length=12, choices=CampaignChannel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=SendStatus.choices, default=SendStatus.QUEUED
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The local day of ``sent_at`` (the attribution window counts local days), kept so the
    # attribution compares dates in SQL without a time-zone conversion per row.
    sent_on = models.DateField(_("sent on"), null=True, blank=True, editable=False)
    # The provider's message id (SMS delivery reports name it).
    provider_id = models.CharField(_("provider id"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.OneToOneField(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_send",
    )

    class Meta:
        verbose_name = _("campaign contact")
        verbose_name_plural = _("campaign contacts")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["campaign", "status", "id"]),
            models.Index(fields=["member", "status"]),
            models.Index(fields=["status", "sent_at"]),
            models.Index(fields=["provider_id"]),
        ]
        constraints = [choices_check("status", SendStatus, "marketing_send_status_valid")]

    def __str__(self) -> str:
        return f"{self.channel} {self.member_id} {self.status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sent_on = timezone.localdate(self.sent_at) if self.sent_at else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "sent_at" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sent_on"}
        super().save(*args, **kwargs)


class Response(models.Model):
    """What a member did in answer to the campaign (响应)."""

    Kind = ResponseKind

    member = models.ForeignKey(CampaignMember, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(_("response"), max_length=12, choices=ResponseKind.choices)
    channel = models.CharField(
        _("channel"), max_length=12, choices=CampaignChannel.choices, blank=True
    )
    at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "kind"])]
        constraints = [choices_check("kind", ResponseKind, "marketing_response_kind_valid")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind}"


class DoNotContact(models.Model):
    """A customer nobody may contact for marketing, on any channel (请勿打扰)."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("since"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("do not contact")
        verbose_name_plural = _("do not contact")

    def __str__(self) -> str:
        return str(self.customer_id)


class Undeliverable(models.Model):
    """An address a provider reported as permanently undeliverable (a hard bounce): later
    campaigns leave its customer out of the channel (硬退信)."""

    channel = models.CharField(_("channel"), max_length=12, choices=CampaignChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("since"))
    send = models.ForeignKey(
        Send, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("undeliverable address")
        verbose_name_plural = _("undeliverable addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address"], name="marketing_undeliverable_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address}"


class KeptResults(models.Model):
    """A campaign's results as last computed, off the request (``tasks.campaign_results_keep``):
    pages and the API read them and never compute on a request, except the first time."""

    campaign = models.OneToOneField(
        Campaign, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    on = models.DateField(_("for the day"))  # orders counted up to this day
    version = models.DateTimeField(_("campaign version"))  # its updated_at, when computed
    computed_at = models.DateTimeField(_("computed at"))
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("kept campaign results")
        verbose_name_plural = _("kept campaign results")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.computed_at:%Y-%m-%d %H:%M}"
