"""The registry of archive fields: where each fact lives, its group, type and protection.

Services validate and record history from it, selectors mask and reveal from it, forms and the
API are built from it, and the completeness score counts its ``completeness`` fields. A field's
``code`` is what history, the API and forms use: ``name``, ``person.id_number``,
``organization.credit_code``, ``phones``, ``custom.wine_preference``.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.access import SensitiveGroup
from kehu.customers.models import Contact, Customer, PersonProfile

# The texts of the registry's lazy labels by label and language: translating the forty labels
# of a profile on every request cost a twentieth of the API's customer detail. Only labels
# that live as long as the process (the built-in fields', the groups') are kept.
_LABEL_TEXTS: dict[tuple[int, str | None], tuple[Promise, str]] = {}


def label_text(label: str | Promise) -> str:
    """``str(label)`` in the active language; a lazy label of the registry is translated once
    per process and language (a custom field's label is already text)."""
    if isinstance(label, str):
        return label
    key = (id(label), get_language())
    kept = _LABEL_TEXTS.get(key)
    if kept is None or kept[0] is not label:
        kept = _LABEL_TEXTS[key] = (label, str(label))
    return kept[1]


class Group(StrEnum):
    ARCHIVE = "archive"
    CONTACT_INFO = "contact_info"
    PERSON_BASIC = "person_basic"
    CONSUMPTION = "consumption"
    CAREER = "career"
    FAMILY = "family"
    EDUCATION = "education"
    ORG_BASIC = "org_basic"
    BUSINESS = "business"
    MARKET = "market"
    CREDIT = "credit"
    CUSTOM = "custom"


GROUP_LABELS: dict[Group, str | Promise] = {
    Group.ARCHIVE: _("Overview"),
    Group.CONTACT_INFO: _("Contact information"),
    Group.PERSON_BASIC: _("Basic information"),
    Group.CONSUMPTION: _("Consumption preferences"),
    Group.CAREER: _("Career"),
    Group.FAMILY: _("Family"),
    Group.EDUCATION: _("Education"),
    Group.ORG_BASIC: _("Basic information"),
    Group.BUSINESS: _("Business status"),
    Group.MARKET: _("Market and competition"),
    Group.CREDIT: _("Credit"),
    Group.CUSTOM: _("Custom fields"),
}


class Type(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    ID_NUMBER = "id_number"
    CREDIT_CODE = "credit_code"
    PHONES = "phones"
    EMAILS = "emails"
    TAGS = "tags"
    CHANNEL = "channel"


class Store(StrEnum):
    CUSTOMER = "customer"
    PERSON = "person"
    ORGANIZATION = "organization"
    RELATED = "related"  # phones, e-mails, tags: rows of their own
    CUSTOM = "custom"


PERSON = frozenset({Customer.Kind.PERSON})
ORGANIZATION = frozenset({Customer.Kind.ORGANIZATION})
BOTH = PERSON | ORGANIZATION


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str | Promise
    group: Group
    type: Type
    store: Store
    choices: tuple[tuple[str, str | Promise], ...] = ()
    sensitive: SensitiveGroup | None = None
    completeness: bool = False
    past_only: bool = False
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    required: bool = False
    searchable: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def kinds(self) -> frozenset[str]:
        """The customer kinds that have the field."""
        return {Store.PERSON: PERSON, Store.ORGANIZATION: ORGANIZATION}.get(self.store, BOTH)

    @property
    def attr(self) -> str:
        """The attribute name on the model that stores the field."""
        return self.code.rsplit(".", 1)[-1]


def _choices(enum: type) -> tuple[tuple[str, str | Promise], ...]:
    return tuple(enum.choices)  # type: ignore[attr-defined]


CUST, PERS, ORGN, REL = Store.CUSTOMER, Store.PERSON, Store.ORGANIZATION, Store.RELATED

BUILTIN_FIELDS: tuple[FieldSpec, ...] = (
    # archive 档案
    FieldSpec(
        "name",
        _("name"),
        Group.ARCHIVE,
        Type.TEXT,
        CUST,
        max_length=200,
        required=True,
        completeness=True,
    ),
    FieldSpec(
        "lifecycle_stage",
        _("lifecycle stage"),
        Group.ARCHIVE,
        Type.CHOICE,
        CUST,
        choices=_choices(Customer.Stage),
        required=True,
    ),
    FieldSpec(
        "grade",
        _("grade"),
        Group.ARCHIVE,
        Type.CHOICE,
        CUST,
        choices=_choices(Customer.Grade),
        required=True,
    ),
    FieldSpec(
        "source_channel", _("source channel"), Group.ARCHIVE, Type.CHANNEL, CUST, completeness=True
    ),
    FieldSpec("tags", _("tags"), Group.ARCHIVE, Type.TAGS, REL),
    FieldSpec("notes", _("notes"), Group.ARCHIVE, Type.LONG_TEXT, CUST, max_length=5000),
    # contact information 联系方式
    FieldSpec("phones", _("phones"), Group.CONTACT_INFO, Type.PHONES, REL, completeness=True),
    FieldSpec("emails", _("e-mails"), Group.CONTACT_INFO, Type.EMAILS, REL, completeness=True),
    FieldSpec(
        "address",
        _("address"),
        Group.CONTACT_INFO,
        Type.TEXT,
        CUST,
        max_length=300,
        completeness=True,
    ),
    # person: basic 基本信息
    FieldSpec(
        "person.gender",
        _("gender"),
        Group.PERSON_BASIC,
        Type.CHOICE,
        PERS,
        choices=_choices(PersonProfile.Gender),
        completeness=True,
    ),
    FieldSpec(
        "person.birth_date",
        _("birth date"),
        Group.PERSON_BASIC,
        Type.DATE,
        PERS,
        past_only=True,
        completeness=True,
    ),
    FieldSpec(
        "person.id_number",
        _("ID number"),
        Group.PERSON_BASIC,
        Type.ID_NUMBER,
        PERS,
        sensitive=SensitiveGroup.IDENTITY,
        completeness=True,
    ),
    FieldSpec(
        "person.household_registration",
        _("household registration"),
        Group.PERSON_BASIC,
        Type.TEXT,
        PERS,
        max_length=100,
    ),
    FieldSpec(
        "person.native_place",
        _("native place"),
        Group.PERSON_BASIC,
        Type.TEXT,
        PERS,
        max_length=100,
    ),
    FieldSpec(
        "person.height_cm",
        _("height (cm)"),
        Group.PERSON_BASIC,
        Type.INTEGER,
        PERS,
        min_value=30,
        max_value=260,
    ),
    FieldSpec(
        "person.weight_kg",
        _("weight (kg)"),
        Group.PERSON_BASIC,
        Type.INTEGER,
        PERS,
        min_value=2,
        max_value=400,
    ),
    FieldSpec(
        "person.home_address",
        _("home address"),
        Group.PERSON_BASIC,
        Type.TEXT,
        PERS,
        max_length=300,
        sensitive=SensitiveGroup.ADDRESS,
    ),
    # person: consumption 消费
    FieldSpec(
        "person.preferred_products",
        _("preferred products"),
        Group.CONSUMPTION,
        Type.TEXT,
        PERS,
        max_length=200,
        completeness=True,
    ),
    FieldSpec(
        "person.preferred_channels",
        _("preferred channels"),
        Group.CONSUMPTION,
        Type.TEXT,
        PERS,
        max_length=200,
    ),
    FieldSpec(
        "person.purchase_style",
        _("purchase style"),
        Group.CONSUMPTION,
        Type.TEXT,
        PERS,
        max_length=200,
    ),
    # person: career 事业
    FieldSpec(
        "person.employer",
        _("employer"),
        Group.CAREER,
        Type.TEXT,
        PERS,
        max_length=200,
        completeness=True,
    ),
    FieldSpec(
        "person.position",
        _("position"),
        Group.CAREER,
        Type.TEXT,
        PERS,
        max_length=100,
        completeness=True,
    ),
    FieldSpec(
        "person.income_band",
        _("income band"),
        Group.CAREER,
        Type.TEXT,
        PERS,
        max_length=60,
        sensitive=SensitiveGroup.FINANCE,
    ),
    FieldSpec(
        "person.career_attitude",
        _("attitude to career"),
        Group.CAREER,
        Type.TEXT,
        PERS,
        max_length=200,
    ),
    # person: family 家庭
    FieldSpec(
        "person.marital_status",
        _("marital status"),
        Group.FAMILY,
        Type.TEXT,
        PERS,
        max_length=30,
        sensitive=SensitiveGroup.FAMILY,
    ),
    FieldSpec(
        "person.spouse",
        _("spouse"),
        Group.FAMILY,
        Type.TEXT,
        PERS,
        max_length=200,
        sensitive=SensitiveGroup.FAMILY,
    ),
    FieldSpec(
        "person.children",
        _("children"),
        Group.FAMILY,
        Type.TEXT,
        PERS,
        max_length=200,
        sensitive=SensitiveGroup.FAMILY,
    ),
    # person: education 教育
    FieldSpec(
        "person.highest_degree",
        _("highest degree"),
        Group.EDUCATION,
        Type.TEXT,
        PERS,
        max_length=30,
    ),
    FieldSpec("person.major", _("major"), Group.EDUCATION, Type.TEXT, PERS, max_length=100),
    FieldSpec("person.school", _("school"), Group.EDUCATION, Type.TEXT, PERS, max_length=100),
    # organization: basic 基本信息
    FieldSpec(
        "organization.credit_code",
        _("unified social credit code"),
        Group.ORG_BASIC,
        Type.CREDIT_CODE,
        ORGN,
        completeness=True,
    ),
    FieldSpec(
        "organization.legal_representative",
        _("legal representative"),
        Group.ORG_BASIC,
        Type.TEXT,
        ORGN,
        max_length=60,
        completeness=True,
    ),
    FieldSpec(
        "organization.industry",
        _("industry"),
        Group.ORG_BASIC,
        Type.TEXT,
        ORGN,
        max_length=60,
        completeness=True,
    ),
    FieldSpec(
        "organization.size_band",
        _("size"),
        Group.ORG_BASIC,
        Type.TEXT,
        ORGN,
        max_length=30,
        completeness=True,
    ),
    FieldSpec(
        "organization.registered_capital",
        _("registered capital (10k CNY)"),
        Group.ORG_BASIC,
        Type.DECIMAL,
        ORGN,
        min_value=0,
    ),
    FieldSpec(
        "organization.founded_on", _("founded on"), Group.ORG_BASIC, Type.DATE, ORGN, past_only=True
    ),
    FieldSpec(
        "organization.ownership_type",
        _("ownership type"),
        Group.ORG_BASIC,
        Type.TEXT,
        ORGN,
        max_length=60,
    ),
    FieldSpec(
        "organization.business_scope",
        _("business scope"),
        Group.ORG_BASIC,
        Type.LONG_TEXT,
        ORGN,
        max_length=5000,
    ),
    # organization: business 经营状况
    FieldSpec(
        "organization.market_capacity",
        _("market capacity"),
        Group.BUSINESS,
        Type.TEXT,
        ORGN,
        max_length=200,
    ),
    FieldSpec(
        "organization.revenue_band",
        _("revenue band"),
        Group.BUSINESS,
        Type.TEXT,
        ORGN,
        max_length=60,
        completeness=True,
    ),
    FieldSpec(
        "organization.performance_trend",
        _("performance trend"),
        Group.BUSINESS,
        Type.TEXT,
        ORGN,
        max_length=60,
    ),
    FieldSpec(
        "organization.product_structure",
        _("product structure"),
        Group.BUSINESS,
        Type.LONG_TEXT,
        ORGN,
        max_length=5000,
    ),
    FieldSpec(
        "organization.organisation_notes",
        _("organisation"),
        Group.BUSINESS,
        Type.LONG_TEXT,
        ORGN,
        max_length=5000,
    ),
    # organization: market 市场竞争
    FieldSpec(
        "organization.competitiveness",
        _("competitiveness"),
        Group.MARKET,
        Type.LONG_TEXT,
        ORGN,
        max_length=5000,
    ),
    FieldSpec(
        "organization.competitors",
        _("competitors"),
        Group.MARKET,
        Type.LONG_TEXT,
        ORGN,
        max_length=5000,
    ),
    # organization: credit 资信
    FieldSpec(
        "organization.credit_rating",
        _("credit rating"),
        Group.CREDIT,
        Type.TEXT,
        ORGN,
        max_length=20,
        completeness=True,
    ),
    FieldSpec(
        "organization.credit_limit",
        _("credit limit (CNY)"),
        Group.CREDIT,
        Type.DECIMAL,
        ORGN,
        min_value=0,
    ),
)

BUILTIN_BY_CODE = {spec.code: spec for spec in BUILTIN_FIELDS}
CONTACT_ROLES = _choices(Contact.Role)
