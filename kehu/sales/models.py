# Over 500 lines: the sales app's models in one models.py, as Django expects of an app.
"""Sales (销售管理): products, orders with lines, payments (回款) and opportunities (商机).

Money is ``Decimal`` with two places and an ISO currency code beside it (default CNY), never a
float. An order keeps its total and the sum of its payments, written by the services, so
receivables and reports read one row per order instead of summing lines and payments.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check

DEFAULT_CURRENCY = "CNY"

ZERO = Decimal("0.00")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")


class Product(TimeStampedModel):
    """A product or service in the catalogue (产品目录), with what the knowledge base reuses."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("On sale")
        DISCONTINUED = "discontinued", _("Discontinued")

    class RiskLevel(models.TextChoices):
        R1 = "R1", _("R1 low")
        R2 = "R2", _("R2 medium-low")
        R3 = "R3", _("R3 medium")
        R4 = "R4", _("R4 medium-high")
        R5 = "R5", _("R5 high")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=60, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="件")
    list_price = models.DecimalField(_("list price"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    # product knowledge 产品知识
    structure = models.TextField(_("product structure"), blank=True)
    product_type = models.CharField(_("product type"), max_length=60, blank=True)
    annual_yield = models.DecimalField(
        _("expected annual yield (%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    risk_level = models.CharField(
        _("risk level"), max_length=2, choices=RiskLevel.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    # The order-history import that created it (undone with the import when still unused).
    import_batch = models.ForeignKey(
        "imports.ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "category", "code"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="sales_product_price_not_negative"
            ),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints += [
        choices_check("status", Status, "sales_product_status_valid"),
    ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Order(TimeStampedModel):
    """A customer's order (订单). ``total_amount`` and ``paid_amount`` are kept by the services."""

    class Channel(models.TextChoices):
        STORE = "store", _("Store")
        ONLINE = "online", _("Online")
        SALES_REP = "sales_rep", _("Sales rep")
        DISTRIBUTOR = "distributor", _("Distributor")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    ordered_on = models.DateField(_("order date"))
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.SALES_REP
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sales_orders",
    )
    # The owner's team when the order was taken: team reports stay put when people move.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY
    )
    total_amount = models.DecimalField(_("total"), default=ZERO, max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(_("paid"), default=ZERO, max_digits=14, decimal_places=2)
    # The customer's first order (not cancelled) when it was taken: "new customers" in the
    # sales report count these, without looking back through every earlier order.
    first_for_customer = models.BooleanField(_("first order of the customer"), default=False)
    opportunity = models.OneToOneField(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order",
    )
    notes = models.TextField(_("notes"), blank=True)
    # The order-history import that brought it in (its undo deletes it).
    import_batch = models.ForeignKey(
        "imports.ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "ordered_on"]),
            # Covers the sales report (a period's orders summed) and the key-account buyers
            # (a period's orders per customer) without reading the table.
            models.Index(
                fields=[
                    "ordered_on",
                    "currency",
                    "status",
                    "owner",
                    "team",
                    "total_amount",
                    "first_for_customer",
                    "customer",
                ],
                name="sales_order_period_idx",
            ),  # fmt: skip
            # Open receivables (a small part of the orders): the overdue figures read only these.
            models.Index(
                fields=[
                    "ordered_on",
                    "currency",
                    "status",
                    "customer",
                    "total_amount",
                    "paid_amount",
                ],
                condition=Q(paid_amount__lt=F("total_amount")),
                name="sales_order_unpaid_idx",
            ),
            models.Index(fields=["owner", "-ordered_on"]),
            models.Index(fields=["status", "-ordered_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0) & Q(paid_amount__gte=0),
                name="sales_order_amounts_not_negative",
            ),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints += [
        choices_check("channel", Channel, "sales_order_channel_valid"),
        choices_check("status", Status, "sales_order_status_valid"),
    ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("sales:order_detail", args=[self.pk])

    @property
    def outstanding(self) -> Decimal:
        if self.status == self.Status.CANCELLED:
            return ZERO
        return max(self.total_amount - self.paid_amount, ZERO)


class OrderLine(models.Model):
    """One product on an order: amount = quantity × unit price × (1 − discount %), rounded
    half up to the fen."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=ZERO
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="sales_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="sales_line_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="sales_line_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.product_id}"


class Payment(TimeStampedModel):
    """Money received against an order (回款)."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        ALIPAY = "alipay", _("Alipay")
        WECHAT = "wechat", _("WeChat Pay")
        POINTS = "points", _("Loyalty points")  # recorded by kehu.loyalty.redemption

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments"
    )
    # The order's customer, kept here so a customer's payments are one index range.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY
    )
    received_on = models.DateField(_("received on"))
    # Credited to the order's owner and team as they were when the money came in.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credited to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(
        _("method"), max_length=14, choices=Method.choices, default=Method.BANK_TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A payment recorded by mistake is reversed, never deleted: it stays on the order with
    # who reversed it and why, and no longer counts as collected.
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reversed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # db_default: bulk writers (demo, import) that name their columns leave it out
    reversal_reason = models.CharField(
        _("reason for the reversal"), max_length=300, blank=True, db_default=""
    )
    corrected_by = models.OneToOneField(
        "self",
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrects",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-received_on"]),
            models.Index(
                fields=["received_on", "currency", "owner", "team", "amount"],
                name="sales_payment_report_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sales_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(reversed_at__isnull=True) | ~Q(reversal_reason=""),
                name="sales_payment_reversal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount} {self.currency}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class PipelineStage(TimeStampedModel):
    """A stage of the opportunity pipeline; administrators add, rename and reorder them."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40)
    outcome = models.CharField(
        _("outcome"), max_length=4, choices=Outcome.choices, default=Outcome.OPEN
    )
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), default=10)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="sales_stage_probability_range"
            ),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints += [
        choices_check("outcome", Outcome, "sales_stage_outcome_valid"),
    ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name if (get_language() or "").startswith("zh") else self.name_en


class Opportunity(TimeStampedModel):
    """A sales opportunity (商机) moving through the pipeline."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY
    )
    stage = models.ForeignKey(
        PipelineStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"))
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    stage_changed_at = models.DateTimeField(_("in this stage since"))

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["stage", "-id"]),
            # A rep's open pipeline (home card, team card): counted and summed from the index.
            models.Index(
                fields=["owner", "stage", "expected_close_on", "amount"],
                name="sales_opp_owner_pipeline_idx",
            ),
            models.Index(fields=["customer", "-id"]),
            models.Index(fields=["closed_on"]),
            # Covers the report's open pipeline: summed per stage without reading the table.
            models.Index(
                fields=["stage", "currency", "owner", "team", "probability", "amount"],
                name="sales_opp_pipeline_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="sales_opportunity_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="sales_opportunity_probability_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:opportunity_detail", args=[self.pk])

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))


class OpportunityLine(models.Model):
    """A product the opportunity is about, with the quantity and price discussed: carried into
    the order when the opportunity is won."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=ZERO
    )

    class Meta:
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="sales_opportunityline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="sales_opportunityline_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="sales_opportunityline_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.quantity} × {self.product_id}"


class OpportunityMove(models.Model):
    """One move of an opportunity between stages: its history and its timeline entries."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.ForeignKey(
        PipelineStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="+")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_at = models.DateTimeField(_("moved at"))

    class Meta:
        verbose_name = _("opportunity stage move")
        verbose_name_plural = _("opportunity stage moves")
        ordering = ["-moved_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stage=F("to_stage")), name="sales_move_changes_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"


class SalesDaily(models.Model):
    """The sales-performance report's facts summed per day, owner, team and currency, so a
    period's report reads a few thousand rows instead of every order and payment in it.

    Kept exact by the services that change those facts, in their transaction (``kehu.sales.
    summary``): orders taken and cancelled (by order date), payments (by date received) and
    opportunities closed won or lost (by close date, counted whatever their currency). Rows are
    deltas that the report sums, so two rows for one key (written by concurrent transactions)
    are harmless. ``kehu sales rebuild-summary`` re-creates it from the raw rows.
    """

    day = models.DateField(_("day"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    orders = models.IntegerField(_("orders"), default=0)
    revenue = models.DecimalField(_("revenue"), default=ZERO, max_digits=18, decimal_places=2)
    new_customers = models.IntegerField(_("new customers"), default=0)
    collected = models.DecimalField(_("collected"), default=ZERO, max_digits=18, decimal_places=2)
    won = models.IntegerField(_("won"), default=0)
    lost = models.IntegerField(_("lost"), default=0)
    # The part of ``revenue`` from orders an opportunity became: the forecast's run rate is
    # what came from elsewhere.
    opportunity_revenue = models.DecimalField(
        _("revenue from opportunities"), default=ZERO, max_digits=18, decimal_places=2
    )

    class Meta:
        verbose_name = _("daily sales summary")
        verbose_name_plural = _("daily sales summaries")
        indexes = [models.Index(fields=["day", "owner", "team", "currency"])]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_id}/{self.team_id} {self.currency}"


class SalesCorrection(models.Model):
    """A correction of a sales record (销售更正): who changed what, when and why.

    ``changes`` maps each changed field to ``[before, after]`` as text (an order's lines as one
    text per line), so the record reads the same after the products are renamed.
    """

    class Kind(models.TextChoices):
        ORDER = "order", _("Order corrected")
        PAYMENT_REVERSED = "payment_reversed", _("Payment reversed")
        PAYMENT_CORRECTED = "payment_corrected", _("Payment corrected")
        OPPORTUNITY = "opportunity", _("Opportunity changed")
        PRODUCT = "product", _("Product changed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_corrections",
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("sales correction")
        verbose_name_plural = _("sales corrections")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "-changed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "order",
                        "payment_reversed",
                        "payment_corrected",
                        "opportunity",
                        "product",
                    ]
                ),
                name="sales_correction_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.changed_at:%Y-%m-%d %H:%M}"

    def changed_fields(self) -> list[tuple[str, str, str]]:
        """(label, before, after) per changed field, labels in the active language."""
        model: type[models.Model] = {
            self.Kind.ORDER: Order,
            self.Kind.OPPORTUNITY: Opportunity,
            self.Kind.PRODUCT: Product,
        }.get(self.kind, Payment)  # type: ignore[call-overload]
        rows = []
        for name, (before, after) in self.changes.items():
            if name == "lines":
                label = str(_("lines"))
            elif name == "products":  # an opportunity's products (OpportunityLine rows)
                label = str(_("products"))
            else:
                label = str(getattr(model._meta.get_field(name), "verbose_name", name))
            rows.append((label, before, after))
        return rows
