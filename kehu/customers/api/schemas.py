"""What the customer archive's API reads and answers. Values in ``fields`` are display text;
sensitive ones are always masked here: only ``POST /customers/{id}/reveal`` gives clear text."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from kehu.accounts.models import User
from kehu.customers.models import Channel, Contact, Customer, CustomField

# The keys of ``selectors.ORDERINGS`` (a test keeps them equal).
Ordering = Literal["-id", "id", "name", "-name", "-updated_at", "grade"]


# --- references -------------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    username: str
    display_name: str

    @staticmethod
    def resolve_display_name(obj: User) -> str:
        return str(obj)


class TeamRef(Schema):
    id: int
    name: str


# --- customers --------------------------------------------------------------------------------


class CustomerFilterIn(Schema):
    kind: Customer.Kind | None = None
    stage: Customer.Stage | None = None
    grade: Customer.Grade | None = None
    status: Customer.Status | None = Field(
        None, description="Default: active and public-pool customers."
    )
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    province: str = ""
    city: str = ""
    channel: str = Field("", description="A channel code: where the customer came from.")
    q: str = Field(
        "", description="Search as in `/search`: name (any part), pinyin, phone digits, tag…"
    )
    order: Ordering = "-id"
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    custom: list[str] = Field(
        [], description="Custom field conditions `code=value` (repeat for several)."
    )
    value_tier: str = Field("", description="Value tier A, B or C (customer value analytics).")
    value_segment: str = Field("", description="RFM segment code, e.g. `important_win_back`.")
    p_alive_min: float | None = Field(None, ge=0, le=1)
    p_alive_max: float | None = Field(None, ge=0, le=1)
    clv_min: Decimal | None = None
    clv_max: Decimal | None = None
    last_purchase_from: date | None = None
    last_purchase_to: date | None = None
    propensity_model: int | None = Field(None, description="A propensity model's id (insight).")
    propensity_percentile_min: int | None = Field(
        None, ge=0, le=100, description="Scored at least this percentile by the model."
    )
    propensity_probability_min: float | None = Field(
        None, ge=0, le=1, description="Scored at least this probability by the model."
    )


class CustomerItem(Schema):
    id: int
    name: str
    kind: Customer.Kind
    lifecycle_stage: Customer.Stage
    grade: Customer.Grade
    status: Customer.Status
    owner: UserRef | None
    team: TeamRef | None
    tags: list[str]
    province: str
    city: str
    district: str
    source_channel: str | None = Field(description="The code of the channel.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_source_channel(obj: Customer) -> str | None:
        return obj.source_channel.code if obj.source_channel else None


class FieldSource(Schema):
    channel: str | None = Field(description="The code of the channel the value came from.")
    changed_at: datetime
    changed_by: str


class FieldOut(Schema):
    code: str
    label: str
    group: str
    group_label: str
    value: str = Field(description="Display text; masked when the field is sensitive.")
    masked: bool
    can_reveal: bool
    source: FieldSource | None


class ContactOut(Schema):
    id: int
    name: str
    role: Contact.Role
    title: str
    birthday: date | None
    notes: str
    phones: list[str] = Field(description="E.164, e.g. +8613800138000.")
    emails: list[str]
    person_id: int | None

    @staticmethod
    def resolve_phones(obj: Contact) -> list[str]:
        return [phone.number for phone in obj.phones.all()]

    @staticmethod
    def resolve_emails(obj: Contact) -> list[str]:
        return [email.address for email in obj.emails.all()]


class CompletenessOut(Schema):
    score: int = Field(description="Percent of the fields that matter that are filled.")
    missing: list[str]


class CustomerDetail(CustomerItem):
    address: str
    shared_with: list[UserRef]
    archived_at: datetime | None
    reviewed_at: datetime | None
    as_of: date | None = Field(description="The day the fields are shown as of, if asked.")
    fields: list[FieldOut]
    contacts: list[ContactOut]
    completeness: CompletenessOut
    merged_into: int | None = Field(
        None, description="With status `merged`: the id of the customer it was merged into."
    )

    @staticmethod
    def resolve_merged_into(obj: Customer) -> int | None:
        return obj.merged_into_id


class CustomerCreateIn(Schema):
    kind: Customer.Kind
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description='Values by field code, e.g. {"name": "张伟", "phones": ["13800138000"]}.',
    )
    channel: str | None = Field(None, description="Where the facts came from (a channel code).")
    owner_id: int | None = Field(None, description="Default: you.")
    note: str = Field("", max_length=200)


class CustomerUpdateIn(Schema):
    fields: dict[str, Any] = Field(default_factory=dict)
    channel: str | None = None
    note: str = Field("", max_length=200)


class AssignIn(Schema):
    owner_id: int | None = Field(description="The new owner; null puts it in the public pool.")
    note: str = Field("", max_length=200)


class ShareIn(Schema):
    user_ids: list[int] = Field(description="Exactly the users to share with.")
    note: str = Field("", max_length=200)


class ChangeOut(Schema):
    id: int
    field: str
    label: str
    old: str
    new: str
    masked: bool
    can_reveal: bool
    channel: str | None
    changed_at: datetime
    changed_by: str
    note: str


class RevealIn(Schema):
    field: str
    change_id: int | None = Field(None, description="Reveal this history entry's new value.")


class RevealOut(Schema):
    field: str
    change_id: int | None
    value: str


# --- contacts ---------------------------------------------------------------------------------


class ContactIn(Schema):
    name: str
    role: Contact.Role = Contact.Role.OTHER
    title: str = ""
    birthday: date | None = None
    notes: str = ""
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    person_id: int | None = Field(None, description="A person customer this contact is.")


class ContactPatch(Schema):
    name: str | None = None
    role: Contact.Role | None = None
    title: str | None = None
    birthday: date | None = None
    notes: str | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    person_id: int | None = None


# --- channels and custom fields ---------------------------------------------------------------


class ChannelOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    label: str
    kind: Channel.Kind
    is_active: bool
    sort_order: int


class ChannelIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=60)
    name_en: str = Field("", max_length=60)
    kind: Channel.Kind
    is_active: bool = True


class ChannelPatch(Schema):
    code: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=60)
    name_en: str | None = Field(None, max_length=60)
    kind: Channel.Kind | None = None
    is_active: bool | None = None


class CustomFieldOut(Schema):
    id: int
    code: str = Field(description='Its field code is "custom.<code>".')
    label: str
    label_en: str
    field_type: CustomField.Type
    applies_to: CustomField.AppliesTo
    choices: list[str]
    required: bool
    searchable: bool
    sensitive: bool
    is_active: bool
    sort_order: int


class CustomFieldIn(Schema):
    code: str = Field(max_length=40)
    label: str = Field(max_length=60)
    label_en: str = Field("", max_length=60)
    field_type: CustomField.Type
    applies_to: CustomField.AppliesTo = CustomField.AppliesTo.BOTH
    choices: list[str] = Field(default_factory=list)
    required: bool = False
    searchable: bool = False
    sensitive: bool = False
    is_active: bool = True


class CustomFieldPatch(Schema):
    """Code, type and sensitivity are fixed once a custom field exists."""

    label: str | None = Field(None, max_length=60)
    label_en: str | None = Field(None, max_length=60)
    applies_to: CustomField.AppliesTo | None = None
    choices: list[str] | None = None
    required: bool | None = None
    searchable: bool | None = None
    is_active: bool | None = None
