# Over 500 lines: the archive's models in one models.py, as Django expects of an app.
"""The customer archive (客户档案): customers, their profiles, contacts, provenance and history.

Which fields exist, how they are grouped, validated, protected and scored is described once,
in ``kehu.customers.fields``; services and selectors work from that registry.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.encryption import EncryptedTextField, decrypt
from kehu.core.models import TimeStampedModel, choices_check


class Channel(TimeStampedModel):
    """Where a fact was learned (信息来源渠道): direct contact or an indirect source."""

    class Kind(models.TextChoices):
        DIRECT = "direct", _("Direct")
        INDIRECT = "indirect", _("Indirect")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name if (get_language() or "").startswith("zh") else self.name_en


class Tag(TimeStampedModel):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet["Customer"]):
    def live(self) -> "CustomerQuerySet":
        """Customers in use: active or in the public pool; not merged away, not archived.

        Written as an exclusion so that a newest-first page walks the primary key and stops
        after a page; "status IN (…)" made SQLite sort every matching row first."""
        return self.exclude(status__in=NOT_LIVE)


class Customer(TimeStampedModel):
    """A customer (客户): a person or an organization, owned by a user and scoped by team."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organization")

    class Stage(models.TextChoices):
        LEAD = "lead", _("Lead")
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        LOST = "lost", _("Lost")

    class Grade(models.TextChoices):
        IMPORTANT = "important", _("Important")
        SPECIAL = "special", _("Special")
        GENERAL = "general", _("General")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PUBLIC_POOL = "public_pool", _("In public pool")
        MERGED = "merged", _("Merged")
        ARCHIVED = "archived", _("Archived")

    # In use (see ``Customer.objects.live()``); for lookups through a relation:
    # ``customer__status__in=Customer.LIVE_STATUSES``.
    LIVE_STATUSES = (Status.ACTIVE, Status.PUBLIC_POOL)

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERSON)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=10, choices=Stage.choices, default=Stage.LEAD
    )
    grade = models.CharField(
        _("grade"), max_length=10, choices=Grade.choices, default=Grade.GENERAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        db_index=False,  # its (column, -id) index in Meta leads with it
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        db_index=False,  # its (column, -id) index in Meta leads with it
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with"),
        blank=True,
        related_name="shared_customers",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    source_channel = models.ForeignKey(
        Channel,
        verbose_name=_("source channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # its (column, -id) index in Meta leads with it
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    region_code = models.CharField(_("region code"), max_length=12, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Custom fields: plain values by code; sensitive ones encrypted together as JSON.
    custom_values = models.JSONField(_("custom fields"), default=dict, blank=True)
    custom_sensitive = EncryptedTextField(_("sensitive custom fields"), blank=True, default="")
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # The last periodic review (定期核查) confirming the archive is correct (seed 002).
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "-id"]),
            models.Index(fields=["team", "-id"]),
            models.Index(fields=["status", "-id"]),
            models.Index(fields=["lifecycle_stage", "-id"]),
            models.Index(fields=["grade", "-id"]),
            models.Index(fields=["kind", "-id"]),
            models.Index(fields=["province", "city", "-id"]),
            models.Index(fields=["source_channel", "-id"]),
            # Every list filter and sort has an index that also gives the page order.
            models.Index(fields=["province", "-id"], name="customers_province_id"),
            models.Index(fields=["city", "-id"], name="customers_city_id"),  # the API's ?city=
            models.Index(fields=["name", "id"], name="customers_name_id"),
            models.Index(fields=["-updated_at", "-id"], name="customers_updated_id"),
            # "recently changed in my province": without it the province's customers were
            # sorted (135 ms for 广东省 at 1,000,000 customers).
            models.Index(
                fields=["province", "-updated_at", "-id"], name="customers_province_updated"
            ),
            models.Index(fields=["created_at", "id"], name="customers_created_id"),
            # The leader dashboard's composition (live customers of a scope by stage and grade)
            # read from the index alone: a rep's customers by seek, the rest by one scan of it.
            models.Index(
                fields=["owner", "team", "status", "lifecycle_stage", "grade"],
                name="customers_scope_stage_grade",
            ),
            # An owner's important customers by name: the home page's "needs attention" (partial:
            # the planner takes it only for that question, not for every owner's list).
            models.Index(
                fields=["owner", "name", "id"],
                condition=models.Q(grade="important", status="active"),
                name="customers_important_by_owner",
            ),
            # The public pool by stage, newest first: the home pages' "unassigned leads" (a column
            # compared with "=" first, or SQLite's planner passes the partial index by).
            models.Index(
                fields=["lifecycle_stage", "-id"],
                condition=models.Q(status="public_pool"),
                name="customers_pool_by_stage",
            ),
            # Customers due for review by their grade's cycle (kehu.oversight's
            # ``reviews_due_rows``): per grade, those reviewed — or, never reviewed, created —
            # before the cycle's cutoff are a range of it. Owner and team at the end, so a
            # user's scope is tested on the index, not on each customer's row.
            models.Index(
                F("status"),
                F("grade"),
                F("lifecycle_stage"),
                Coalesce("reviewed_at", "created_at"),
                F("owner"),
                F("team"),
                name="customers_review_cycle",
            ),
        ]

    # A Meta body cannot see the model's choices classes; its constraints are set here.
    Meta.constraints = [
        choices_check("kind", Kind, "customers_customer_kind_valid"),
        choices_check("lifecycle_stage", Stage, "customers_customer_stage_valid"),
        choices_check("grade", Grade, "customers_customer_grade_valid"),
        choices_check("status", Status, "customers_customer_status_valid"),
    ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])


NOT_LIVE = [status for status in Customer.Status if status not in Customer.LIVE_STATUSES]


class PersonProfile(models.Model):
    """What the archive knows about a person, grouped as the seeds group it."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="person"
    )
    # basic 基本信息
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    household_registration = models.CharField(
        _("household registration"), max_length=100, blank=True
    )
    native_place = models.CharField(_("native place"), max_length=100, blank=True)
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True)
    weight_kg = models.PositiveSmallIntegerField(_("weight (kg)"), null=True, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    # HMAC of the ID number: exact-match lookup without decrypting every row.
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    home_address = EncryptedTextField(_("home address"), blank=True, default="")
    # consumption 消费偏好 (stated; computed figures come from sales)
    preferred_products = models.CharField(_("preferred products"), max_length=200, blank=True)
    preferred_channels = models.CharField(_("preferred channels"), max_length=200, blank=True)
    purchase_style = models.CharField(_("purchase style"), max_length=200, blank=True)
    # career 事业
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    income_band = EncryptedTextField(_("income band"), blank=True, default="")
    career_attitude = models.CharField(_("attitude to career"), max_length=200, blank=True)
    # family 家庭
    marital_status = EncryptedTextField(_("marital status"), blank=True, default="")
    spouse = EncryptedTextField(_("spouse"), blank=True, default="")
    children = EncryptedTextField(_("children"), blank=True, default="")
    # education 教育
    highest_degree = models.CharField(_("highest degree"), max_length=30, blank=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    school = models.CharField(_("school"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("person profile")
        verbose_name_plural = _("person profiles")
        constraints = [
            # One ID number, one live customer. A merge clears the hash (and an organization's
            # credit code) on the tombstone, so merged customers never block the survivor.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="customers_person_id_number_unique",
            )
        ]

    def __str__(self) -> str:
        return str(self.customer)


class OrganizationProfile(models.Model):
    """What the archive knows about an organization (企业客户档案)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="organization"
    )
    # basic 基本信息
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    size_band = models.CharField(_("size"), max_length=30, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (10k CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    ownership_type = models.CharField(_("ownership type"), max_length=60, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    # business 经营状况
    market_capacity = models.CharField(_("market capacity"), max_length=200, blank=True)
    revenue_band = models.CharField(_("revenue band"), max_length=60, blank=True)
    performance_trend = models.CharField(_("performance trend"), max_length=60, blank=True)
    product_structure = models.TextField(_("product structure"), blank=True)
    # market 市场竞争
    competitiveness = models.TextField(_("competitiveness"), blank=True)
    competitors = models.TextField(_("competitors"), blank=True)
    # credit 资信
    credit_rating = models.CharField(_("credit rating"), max_length=20, blank=True)
    credit_limit = models.DecimalField(
        _("credit limit (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    organisation_notes = models.TextField(_("organisation"), blank=True)

    class Meta:
        verbose_name = _("organization profile")
        verbose_name_plural = _("organization profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="customers_org_credit_code_unique",
            )
        ]

    def __str__(self) -> str:
        return str(self.customer)


class Contact(TimeStampedModel):
    """A person at an organization customer (联系人), possibly a person customer too."""

    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        PURCHASER = "purchaser", _("Purchaser")
        FINANCE = "finance", _("Finance")
        USER = "user", _("User")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OTHER)
    title = models.CharField(_("position"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    person = models.ForeignKey(
        Customer,
        verbose_name=_("person customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_roles",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Phone(models.Model):
    """A phone number of a customer or of one of its contacts, kept in E.164 for matching."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("phone"), max_length=20, db_index=True)
    label = models.CharField(_("label"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.number


class Email(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    address = models.EmailField(_("e-mail"), db_index=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.address


class CustomField(TimeStampedModel):
    """A field an admin added to the archive, e.g. "wine preference" or "number of stores"."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes / no")

    class AppliesTo(models.TextChoices):
        PERSON = "person", _("Persons")
        ORGANIZATION = "organization", _("Organizations")
        BOTH = "both", _("Both")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=60, blank=True)
    field_type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    applies_to = models.CharField(
        _("applies to"), max_length=12, choices=AppliesTo.choices, default=AppliesTo.BOTH
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    searchable = models.BooleanField(_("searchable"), default=False)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        english = not (get_language() or "").startswith("zh")
        return self.label_en if english and self.label_en else self.label


class CustomerChange(models.Model):
    """One change to one fact about a customer: the provenance and history of the archive.

    ``field`` is a code from ``kehu.customers.fields``. Values are stored as text; a sensitive
    field's values are encrypted (``sensitive``) exactly like the live field. A customer created
    by an import has one row for all its initial values instead (``field`` is ``CREATED``): a
    tenth of the rows, which is most of what a large import writes. ``entries`` reads both.

    An append-only log written many rows at a time by creations and imports, so its references
    to the channel, the user and the import carry no database constraint (on PostgreSQL each
    is a trigger lookup per row at commit, three quarters of a bulk import's history cost);
    Django's ``on_delete`` still protects channels and clears users and imports. Only the
    customer reference is a real foreign key.
    """

    # ``field`` of a creation row: ``new_value`` is ``creation_value`` of the initial values.
    CREATED = "*"

    # No index of its own: the two (customer, …) indexes in Meta lead with it.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    field = models.CharField(_("field"), max_length=60)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    sensitive = models.BooleanField(default=False)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # No index and no database constraint: see the class docstring.
        db_index=False,
        db_constraint=False,
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # No index and no database constraint: see the class docstring.
        db_index=False,
        db_constraint=False,
    )
    changed_at = models.DateTimeField(_("changed at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The import that wrote this fact, if one did (provenance; an undone import removes them).
    import_batch = models.ForeignKey(
        "imports.ImportBatch",
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
        db_constraint=False,  # see the class docstring
    )

    class Meta:
        verbose_name = _("customer change")
        verbose_name_plural = _("customer changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-changed_at", "-id"]),
            models.Index(fields=["customer", "field", "-changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.field} @ {self.changed_at:%Y-%m-%d}"

    @staticmethod
    def creation_value(entries: list[tuple[str, str, bool]]) -> str:
        """``new_value`` of a creation row: (field, text, sensitive) of each initial value, the
        text of a sensitive one encrypted like the live field."""
        return json.dumps(entries, ensure_ascii=False, separators=(",", ":"))

    def entries(self) -> list["ChangeEntry"]:
        """The field changes this row records: one, or every initial value of a creation row."""
        if self.field != self.CREATED:
            return [ChangeEntry(self.field, self.old_value, self.new_value, self.sensitive)]
        return [ChangeEntry(f, "", text, hidden) for f, text, hidden in json.loads(self.new_value)]


@dataclass(frozen=True)
class ChangeEntry:
    """One field's change within a ``CustomerChange``; values as stored (encrypted if
    ``sensitive``)."""

    field: str
    old: str
    new: str
    sensitive: bool

    def text(self, which: str) -> str:
        """The clear text of the old or new value."""
        value = self.old if which == "old" else self.new
        return decrypt(value) if self.sensitive and value else value


class Segment(TimeStampedModel):
    """A saved filter of the customer list (客户分群): a name, the filters, who may use it.

    ``filters`` holds the list filters as ``kehu.customers.segments`` reads them (custom fields
    and date ranges included); the customers are found anew each time, so a segment is always
    current. ``last_count`` is the count at ``counted_at``, refreshed on demand and nightly.
    """

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Only me")
        TEAM = "team", _("My team")

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="segments",
    )
    visibility = models.CharField(
        _("visible to"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # A list segment (名单) holds its customers, put on it by hand (the bulk bar's "add to
    # segment"); its filters are ``{"in_list": <its own id>}``, so it is read like any other.
    members = models.ManyToManyField(
        "customers.Customer", verbose_name=_("listed customers"), blank=True, related_name="+"
    )
    last_count = models.PositiveIntegerField(_("customers"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visibility="private") | models.Q(team__isnull=False),
                name="customers_segment_team_visibility_has_team",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_list(self) -> bool:
        return bool(self.filters == {"in_list": self.pk})
