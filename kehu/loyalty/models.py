"""Loyalty (会员与关怀): the membership programme, its levels and rules, members, the points
ledger, and the care calendar (festivals, care plans and the care tasks they produce)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check
from kehu.customers.models import Customer


class Programme(TimeStampedModel):
    """The membership programme's settings (one row, ``pk=1``)."""

    class QualifyBy(models.TextChoices):
        SPEND = "spend", _("Spending in the last 12 months")
        ORDERS = "orders", _("Orders in the last 12 months")
        SPEND_OR_ORDERS = "spend_or_orders", _("Spending or orders in the last 12 months")
        SPEND_AND_ORDERS = "spend_and_orders", _("Spending and orders in the last 12 months")
        POINTS = "points", _("Points earned in the last 12 months")

    name = models.CharField(_("name"), max_length=60, default="会员计划")
    card_prefix = models.CharField(_("card number prefix"), max_length=6, default="VIP")
    qualify_by = models.CharField(
        _("levels by"), max_length=20, choices=QualifyBy.choices, default=QualifyBy.SPEND
    )
    review_month = models.PositiveSmallIntegerField(_("yearly review month"), default=1)
    review_day = models.PositiveSmallIntegerField(_("yearly review day"), default=1)
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=90,
        help_text=_("A level reached this many days or less before the review is kept a year."),
    )
    points_per_yuan = models.DecimalField(
        _("points per yuan paid"), max_digits=8, decimal_places=2, default=Decimal("1")
    )
    birthday_multiplier = models.DecimalField(
        _("birthday month multiplier"), max_digits=5, decimal_places=2, default=Decimal("2")
    )
    point_value = models.DecimalField(
        _("value of a point (yuan)"), max_digits=8, decimal_places=4, default=Decimal("0.01")
    )
    max_redeem_percent = models.PositiveSmallIntegerField(
        _("at most this share of an order paid with points (%)"), default=50
    )
    expiry_years = models.PositiveSmallIntegerField(
        _("points expire at the end of the year after … years"),
        default=1,
        help_text=_("0: points never expire."),
    )
    enrol_on_first_payment = models.BooleanField(
        _("enrol customers on their first paid order"), default=True
    )

    class Meta:
        verbose_name = _("membership programme")
        verbose_name_plural = _("membership programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(review_month__gte=1, review_month__lte=12)
                & Q(review_day__gte=1, review_day__lte=28),
                name="loyalty_programme_review_date_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_redeem_percent__lte=100), name="loyalty_programme_redeem_pct"
            ),
        ]

    Meta.constraints += [
        choices_check("qualify_by", QualifyBy, "loyalty_programme_qualify_by_valid")
    ]

    def __str__(self) -> str:
        return self.name


class Level(TimeStampedModel):
    """A membership level (会员等级), e.g. 普通卡 … 钻石卡, with what it takes and what it gives.

    The benefit flags are read by other parts: ``service_priority`` by the service queue,
    ``discount_percent`` by the order page, ``free_delivery`` and ``dedicated_contact`` as facts.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("sort order"), unique=True)
    min_spend = models.DecimalField(
        _("spending in 12 months (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    min_orders = models.PositiveIntegerField(_("orders in 12 months"), default=0)
    min_points = models.PositiveIntegerField(_("points earned in 12 months"), default=0)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    service_priority = models.PositiveSmallIntegerField(
        _("service priority"),
        default=0,
        help_text=_("Steps a member's new service case is raised: 1 normal → high, 2 → urgent."),
    )
    free_delivery = models.BooleanField(_("free delivery"), default=False)
    dedicated_contact = models.BooleanField(_("dedicated contact"), default=False)
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        verbose_name = _("membership level")
        verbose_name_plural = _("membership levels")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class EarnRule(TimeStampedModel):
    """A points multiplier: for a product, a product category, or a campaign's dates."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        CATEGORY = "category", _("Product category")
        CAMPAIGN = "campaign", _("Campaign")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=60, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2)
    starts_on = models.DateField(_("valid from"), null=True, blank=True)
    ends_on = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="loyalty_rule_mult_pos"),
        ]

    Meta.constraints += [choices_check("kind", Kind, "loyalty_earnrule_kind_valid")]

    def __str__(self) -> str:
        target = self.product or self.category or self.campaign
        return f"{target} ×{self.multiplier}"


class Reward(TimeStampedModel):
    """A reward item points can be exchanged for (积分兑换)."""

    name = models.CharField(_("name"), max_length=100)
    points = models.PositiveIntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points", "id"]

    def __str__(self) -> str:
        return self.name


class Member(TimeStampedModel):
    """A customer's membership (会员卡). ``points_balance`` is the sum of the customer's ledger,
    kept by the services in the same transaction and checked nightly."""

    class Via(models.TextChoices):
        MANUAL = "manual", _("Enrolled by hand")
        FIRST_ORDER = "first_order", _("First paid order")
        IMPORT = "import", _("Import")

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="member",
    )
    card_number = models.CharField(_("card number"), max_length=20, unique=True)
    level = models.ForeignKey(
        Level, verbose_name=_("level"), on_delete=models.PROTECT, related_name="members"
    )
    joined_on = models.DateField(_("joined on"))
    level_since = models.DateField(_("level since"))
    via = models.CharField(_("enrolled"), max_length=12, choices=Via.choices, default=Via.MANUAL)
    points_balance = models.IntegerField(_("points balance"), default=0)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [models.Index(fields=["level", "customer"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_balance__gte=0), name="loyalty_member_balance_not_negative"
            ),
        ]

    Meta.constraints += [choices_check("via", Via, "loyalty_member_via_valid")]

    def __str__(self) -> str:
        return self.card_number


class LevelChange(models.Model):
    """A member's move between levels (level history)."""

    class Reason(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        UPGRADE = "upgrade", _("Upgrade")
        DOWNGRADE = "downgrade", _("Downgrade at the yearly review")
        MANUAL = "manual", _("Set by hand")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="level_changes")
    from_level = models.ForeignKey(
        Level, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    changed_on = models.DateField(_("changed on"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        ordering = ["-changed_on", "-id"]
        indexes = [models.Index(fields=["changed_on", "to_level"])]

    Meta.constraints = [choices_check("reason", Reason, "loyalty_levelchange_reason_valid")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_level_id} → {self.to_level_id}"


class PointsEntry(models.Model):
    """One immutable row of the points ledger (积分流水): earned, redeemed, expired, adjusted, or
    the reversal of an earlier row. Never updated or deleted; a mistake is a new row."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")
        REVERSE = "reverse", _("Reversed")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="entries")
    # The member's customer, kept here so the ledger is scoped like every customer's record.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="points_entries"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    occurred_on = models.DateField(_("date"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    order = models.ForeignKey(
        "sales.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    payment = models.ForeignKey(
        "sales.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reward = models.ForeignKey(
        Reward, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["member", "-occurred_on", "-id"]),
            models.Index(fields=["occurred_on", "kind"]),
            models.Index(fields=["customer", "-occurred_on"]),
        ]
        constraints = [
            # a payment earns (or, paid with points, redeems) once: the sales hook is idempotent
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=Q(payment__isnull=False),
                name="loyalty_entry_one_per_payment",
            ),
            models.CheckConstraint(condition=~Q(points=0), name="loyalty_entry_not_zero"),
        ]

    Meta.constraints += [choices_check("kind", Kind, "loyalty_entry_kind_valid")]

    def __str__(self) -> str:
        return f"{self.kind} {self.points}"


class Reconciliation(models.Model):
    """A nightly check that every balance equals the sum of its ledger."""

    ran_at = models.DateTimeField(_("ran at"), auto_now_add=True)
    members = models.IntegerField(_("members checked"))
    mismatches = models.JSONField(_("mismatches"), default=list)

    class Meta:
        verbose_name = _("ledger reconciliation")
        verbose_name_plural = _("ledger reconciliations")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d}: {len(self.mismatches)}"


# --- care calendar (关怀) ----------------------------------------------------------------------


class Festival(TimeStampedModel):
    """A festival on the care calendar: a solar date, a lunar date (computed for each year) or
    a solar term (清明)."""

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Gregorian date")
        LUNAR = "lunar", _("Lunar date")
        SOLAR_TERM = "solar_term", _("Solar term")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    calendar = models.CharField(_("calendar"), max_length=10, choices=Calendar.choices)
    month = models.PositiveSmallIntegerField(_("month"), default=1)
    day = models.PositiveSmallIntegerField(_("day"), default=1)
    term = models.CharField(_("solar term"), max_length=4, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("festival")
        verbose_name_plural = _("festivals")
        ordering = ["month", "day", "id"]

    Meta.constraints = [choices_check("calendar", Calendar, "loyalty_festival_calendar_valid")]

    def __str__(self) -> str:
        return self.name


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Customer's birthday")
    CONTACT_BIRTHDAY = "contact_birthday", _("Contact's birthday")
    ANNIVERSARY = "anniversary", _("Anniversary as a customer")
    FOUNDING = "founding", _("Company founding day")
    FESTIVAL = "festival", _("Festival")


class CareAction(models.TextChoices):
    CALL = "call", _("Greeting call")
    CARD = "card", _("Greeting card")
    GIFT = "gift", _("Gift")
    EMAIL = "email", _("E-mail greeting")
    SMS = "sms", _("SMS greeting")


class CarePlan(TimeStampedModel):
    """What to do for which customers before which date, e.g. "a gift worth 300 yuan to every
    important customer, 7 days before 中秋"."""

    name = models.CharField(_("name"), max_length=100)
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    festival = models.ForeignKey(
        Festival,
        verbose_name=_("festival"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plans",
    )
    grade = models.CharField(_("grade"), max_length=10, blank=True, choices=Customer.Grade.choices)
    level = models.ForeignKey(
        Level,
        verbose_name=_("member level"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # A segment kept by a plan cannot be deleted: the plan would silently reach everyone.
    segment = models.ForeignKey(
        "customers.Segment",
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=8, choices=CareAction.choices)
    days_before = models.PositiveSmallIntegerField(_("days before"), default=3)
    gift_budget = models.DecimalField(
        _("gift budget (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(occasion="festival") | Q(festival__isnull=False),
                name="loyalty_careplan_festival_named",
            ),
        ]

    Meta.constraints += [
        choices_check("occasion", Occasion, "loyalty_careplan_occasion_valid"),
        choices_check("action", CareAction, "loyalty_careplan_action_valid"),
    ]

    def __str__(self) -> str:
        return self.name


class CareTask(TimeStampedModel):
    """A care plan's task for one customer and one date; the to-do itself is a ``tasks.Task``
    of the customer's owner."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="care_tasks")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="care_tasks"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    occasion_on = models.DateField(_("date"))
    key = models.CharField(max_length=80, unique=True)
    task = models.OneToOneField(
        "tasks.Task", on_delete=models.CASCADE, related_name="care_task", verbose_name=_("task")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_key_customer = models.BooleanField(_("key customer"), default=False)
    gift_cost = models.DecimalField(
        _("gift cost (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["occasion_on", "id"]
        indexes = [
            models.Index(fields=["owner", "occasion_on"]),
            models.Index(fields=["occasion_on", "plan"]),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.customer_id} · {self.occasion_on}"
