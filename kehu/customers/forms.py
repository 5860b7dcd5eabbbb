# Over 500 lines: the archive's forms share the field registry's widgets and cleaning; a
# split would scatter one vocabulary. Split by screen if it grows further.
"""Forms of the customer archive UI.

The forms parse what the browser sends; the services validate it. Archive fields are built from
their ``FieldSpec`` and kept lenient, so that a bad value reaches the service and comes back with
the service's message (``apply_service_errors``) — one set of rules for the UI, the API and the
importer.
"""

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team, User
from kehu.core.fragments import FragmentCache
from kehu.core.phones import format_phone_local
from kehu.core.regions import provinces
from kehu.core.widgets import IsoDateInput
from kehu.customers.fields import FieldSpec, Type
from kehu.customers.models import Channel, Contact, Customer, CustomField
from kehu.customers.selectors import (
    HISTORY_ONLY_LABELS,
    CustomerFilters,
    channels_active,
)
from kehu.customers.services import DEFAULT_CHANNEL
from kehu.customers.values import read_value, to_text
from kehu.insight.models import PropensityModel
from kehu.search.filters import MIN_QUERY_LENGTH, TOO_SHORT

CALL_CENTER_CHANNEL = "call_center"

EMPTY_CHOICE = ("", "—")

# What the "New customer" form asks; the rest is filled in on the 360° page.
CREATE_FIELDS = {
    Customer.Kind.PERSON: ("name", "person.id_number"),
    Customer.Kind.ORGANIZATION: ("name", "organization.credit_code"),
}
CREATE_COMMON_FIELDS = (
    "phones",
    "emails",
    "address",
    "source_channel",
    "lifecycle_stage",
    "grade",
    "tags",
)


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form, next to the fields it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, messages)


def _channel_choices(channels: list[Channel]) -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in channels]


def _list_hint(spec: FieldSpec) -> str:
    if spec.type in {Type.PHONES, Type.EMAILS, Type.TAGS}:
        return str(_("Separate several with commas."))
    return ""


def archive_form_field(spec: FieldSpec, channels: list[Channel]) -> forms.Field:
    """An input for one archive field. Lenient: the service checks the value."""
    label = str(spec.label)
    attrs: dict[str, Any] = {}
    if spec.type == Type.CHOICE:
        return forms.ChoiceField(label=label, required=False, choices=[EMPTY_CHOICE, *spec.choices])
    if spec.type == Type.CHANNEL:
        return forms.ChoiceField(
            label=label, required=False, choices=[EMPTY_CHOICE, *_channel_choices(channels)]
        )
    if spec.type == Type.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=list(spec.choices),
            widget=forms.CheckboxSelectMultiple,
        )
    if spec.type == Type.BOOLEAN:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[EMPTY_CHOICE, ("true", _("Yes")), ("false", _("No"))],
        )
    if spec.type == Type.LONG_TEXT:
        widget: forms.Widget = forms.Textarea(attrs={"rows": 3})
    elif spec.type == Type.DATE:
        widget = IsoDateInput()
    elif spec.type in {Type.INTEGER, Type.DECIMAL}:
        inputmode = "numeric" if spec.type == Type.INTEGER else "decimal"
        widget = forms.TextInput(attrs={"inputmode": inputmode})
    else:
        if spec.type in {Type.ID_NUMBER, Type.CREDIT_CODE}:
            attrs.update(autocomplete="off", spellcheck="false", maxlength=24)
        elif spec.type == Type.PHONES:
            attrs.update(inputmode="tel", autocomplete="off")
        elif spec.type == Type.EMAILS:
            attrs.update(autocomplete="off")
        elif spec.max_length:
            attrs["maxlength"] = spec.max_length
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(
        label=label, required=False, strip=False, widget=widget, help_text=_list_hint(spec)
    )


def _initial_value(customer: Customer, spec: FieldSpec) -> Any:
    value = read_value(customer, spec)
    if spec.type == Type.MULTI_CHOICE:
        return list(value or [])
    if spec.type == Type.PHONES:
        return ", ".join(format_phone_local(p) for p in value or [])
    return to_text(spec, value)


class ArchiveFieldsForm(forms.Form):
    """Inputs for some archive fields, built from their field specs.

    Editing, sensitive fields start empty (their value is not sent to the browser): left empty
    they keep their value.
    """

    def __init__(
        self,
        *args: Any,
        specs: list[FieldSpec],
        customer: Customer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {spec.code: spec for spec in specs}
        self.customer = customer
        self.channels = list(channels_active())
        self.kept_sensitive: set[str] = set()
        for spec in specs:
            field = archive_form_field(spec, self.channels)
            field.archive_required = spec.required  # type: ignore[attr-defined]
            if customer is not None:
                if spec.sensitive is not None:
                    if not is_blank(read_value(customer, spec)):
                        self.kept_sensitive.add(spec.code)
                        field.widget.attrs["placeholder"] = str(_("Unchanged"))
                        field.help_text = _("Protected. Leave empty to keep the current value.")
                else:
                    field.initial = _initial_value(customer, spec)
            self.fields[spec.code] = field

    @property
    def archive_fields(self) -> list[forms.BoundField]:
        return [self[code] for code in self.specs]

    def archive_data(self) -> dict[str, Any]:
        """The raw values for the service (call after ``is_valid``)."""
        data = {}
        for code, spec in self.specs.items():
            value = self.cleaned_data.get(code)
            if spec.sensitive is not None and code in self.kept_sensitive and is_blank(value):
                continue
            data[code] = value if value is not None else ""
        return data

    def channel_for(self, code: str) -> Channel | None:
        return next((c for c in self.channels if c.code == code), None)


def is_blank(value: Any) -> bool:
    return value in (None, "", [], ())


class CustomerCreateForm(ArchiveFieldsForm):
    def __init__(
        self, *args: Any, specs: dict[str, FieldSpec], kind: str, phone: str = "", **kwargs: Any
    ) -> None:
        """``phone``: a caller's number from the call lookup, filled in (channel: call center)."""
        codes = [*CREATE_FIELDS[Customer.Kind(kind)], *CREATE_COMMON_FIELDS]
        initial: dict[str, Any] = {
            "lifecycle_stage": Customer.Stage.LEAD,
            "grade": Customer.Grade.GENERAL,
            "source_channel": DEFAULT_CHANNEL,
        }
        if phone:
            initial |= {"phones": phone, "source_channel": CALL_CENTER_CHANNEL}
        kwargs.setdefault("initial", initial)
        super().__init__(*args, specs=[specs[code] for code in codes if code in specs], **kwargs)

    def provenance_channel(self) -> Channel | None:
        """Facts given at creation were learned where the customer came from."""
        return self.channel_for(self.cleaned_data.get("source_channel") or DEFAULT_CHANNEL)


class GroupEditForm(ArchiveFieldsForm):
    """One group of the profile, with how the facts were learned (provenance)."""

    change_channel = forms.ChoiceField(label=_("Learned through"), initial=DEFAULT_CHANNEL)
    change_note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Optional: where exactly, who said so")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["change_channel"].choices = _channel_choices(self.channels)  # type: ignore[attr-defined]

    def provenance_channel(self) -> Channel | None:
        return self.channel_for(self.cleaned_data.get("change_channel") or DEFAULT_CHANNEL)


# --- the list -----------------------------------------------------------------------------------

ORDER_CHOICES = [
    ("-id", _("Newest first")),
    ("-updated_at", _("Recently changed")),
    ("name", _("Name A–Z")),
    ("-name", _("Name Z–A")),
]


VALUE_FILTERS = (
    "value_tier", "value_segment", "p_alive_min", "p_alive_max", "clv_min", "clv_max",
    "last_purchase_from", "last_purchase_to",
)  # fmt: skip


def _text(value: Any) -> str:
    return "" if value in (None, "") else str(value)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name"),
        required=False,
        min_length=MIN_QUERY_LENGTH,
        max_length=100,
        error_messages={"min_length": TOO_SHORT},
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search by name")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Customer.Kind.choices]
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Customer.Stage.choices]
    )
    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", _("All grades")), *Customer.Grade.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("username"),
        empty_label=_("Any owner"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("Any team")
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    province = forms.ChoiceField(label=_("Province"), required=False)
    channel = forms.ChoiceField(label=_("Source channel"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active and public pool")), *Customer.Status.choices],
    )
    order = forms.ChoiceField(label=_("Sort by"), required=False, choices=ORDER_CHOICES)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=IsoDateInput())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=IsoDateInput())
    updated_from = forms.DateField(label=_("Updated from"), required=False, widget=IsoDateInput())
    updated_to = forms.DateField(label=_("Updated to"), required=False, widget=IsoDateInput())

    # Customer value (kehu.analytics): computed by the nightly refresh.
    value_tier = forms.ChoiceField(label=_("Value tier"), required=False)
    value_segment = forms.ChoiceField(label=_("RFM segment"), required=False)
    p_alive_min = forms.FloatField(
        label=_("P(active) from"), required=False, min_value=0, max_value=1
    )
    p_alive_max = forms.FloatField(
        label=_("P(active) to"), required=False, min_value=0, max_value=1
    )
    clv_min = forms.DecimalField(label=_("CLV from"), required=False)
    clv_max = forms.DecimalField(label=_("CLV to"), required=False)
    last_purchase_from = forms.DateField(
        label=_("Last purchase from"),
        required=False,
        widget=IsoDateInput(),
    )
    last_purchase_to = forms.DateField(
        label=_("Last purchase to"), required=False, widget=IsoDateInput()
    )

    # A list segment's customers (from the segments page).
    in_list = forms.IntegerField(
        label=_("List segment"), required=False, min_value=1, widget=forms.HiddenInput()
    )

    # Propensity (kehu.insight): the trained models.
    propensity_model = forms.ModelChoiceField(
        label=_("Propensity model"),
        required=False,
        queryset=PropensityModel.objects.filter(trained_at__isnull=False),
        empty_label=_("Any (no propensity condition)"),
    )
    propensity_percentile_min = forms.IntegerField(
        label=_("Propensity percentile from"), required=False, min_value=0, max_value=100
    )
    propensity_probability_min = forms.FloatField(
        label=_("Propensity probability from"), required=False, min_value=0, max_value=1
    )

    # Custom field conditions come as ``cf_<code>=value`` (from a saved segment or a link).
    CUSTOM_PREFIX = "cf_"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [  # type: ignore[attr-defined]
            ("", _("All provinces")),
            *((r.province, r.province) for r in provinces()),
        ]
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            ("", _("All channels")),
            *_channel_choices(list(Channel.objects.all())),
        ]
        from kehu.analytics.models import Segment as ValueSegment
        from kehu.analytics.models import Tier

        self.fields["value_tier"].choices = [("", _("All tiers")), *Tier.choices]  # type: ignore[attr-defined]
        self.fields["value_segment"].choices = [  # type: ignore[attr-defined]
            ("", _("All segments")),
            *ValueSegment.choices,
        ]

    def filters(self) -> CustomerFilters:
        """The filters from the valid inputs; an invalid one is ignored (and shown)."""
        if not self.is_bound:
            return CustomerFilters()
        self.is_valid()
        data = self.cleaned_data
        owner, team = data.get("owner"), data.get("team")
        value_filters: dict[str, Any] = {
            name: "" if data.get(name) in (None, "") else str(data[name]) for name in VALUE_FILTERS
        }
        return CustomerFilters(
            kind=data.get("kind") or "",
            stage=data.get("stage") or "",
            grade=data.get("grade") or "",
            status=data.get("status") or "",
            owner_id=owner.pk if owner else None,
            team_id=team.pk if team else None,
            tag=(data.get("tag") or "").strip(),
            province=data.get("province") or "",
            channel=data.get("channel") or "",
            q=(data.get("q") or "").strip(),
            order=data.get("order") or "-id",
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            updated_from=data.get("updated_from"),
            updated_to=data.get("updated_to"),
            custom=self.custom_conditions(),
            in_list=data.get("in_list"),
            ids=self.ticked_ids(),
            propensity_model=model.pk if (model := data.get("propensity_model")) else None,
            propensity_percentile_min=_text(data.get("propensity_percentile_min")),
            propensity_probability_min=_text(data.get("propensity_probability_min")),
            **value_filters,
        )

    def ticked_ids(self) -> tuple[int, ...]:
        """Rows ticked on the list (``ids=``, e.g. from the bulk bar's "export"), at most 1,000."""
        given = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return tuple(int(v) for v in given[:1000] if str(v).isdigit())

    def custom_conditions(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (key.removeprefix(self.CUSTOM_PREFIX), str(value).strip()[:200])
            for key, value in sorted(self.data.items())
            if key.startswith(self.CUSTOM_PREFIX) and str(value).strip()
        )

    @property
    def active_count(self) -> int:
        if not self.is_bound:
            return 0
        keys = set(self.fields) - {"q", "order", "in_list"}  # a list is named above the rows
        return sum(1 for key in keys if self.data.get(key)) + len(self.custom_conditions())


# --- actions on one customer ------------------------------------------------------------------


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("New owner"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("username"),
        empty_label=_("Nobody (public pool)"),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class ShareForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=_("Share with"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


# The assign and share forms' fields, rendered (the share list has one checkbox per active user).
_OWNER_FIELDS: FragmentCache[dict[str, SafeString]] = FragmentCache()


def owner_form_fields(*, owner_id: int | None, shared_ids: list[int]) -> dict[str, SafeString]:
    """The 360° page's assign and share forms' fields as HTML (``owner``, ``assign_note``,
    ``users``, ``users_label``, ``share_note``), with the customer's owner chosen and those it
    is shared with ticked.

    Their one list of active users is read on every page; the HTML is rendered once per
    language, owner, sharing and list of users, then reused."""
    assign = AssignForm(initial={"owner": owner_id})
    share = ShareForm(initial={"users": shared_ids})
    owner = cast("forms.ModelChoiceField[User]", assign.fields["owner"])
    users = cast("forms.ModelMultipleChoiceField[User]", share.fields["users"])
    assert owner.queryset is not None  # noqa: S101 (declared on AssignForm)
    active = [(u.pk, owner.label_from_instance(u)) for u in owner.queryset]  # read once for both
    key = (get_language(), owner_id, tuple(sorted(shared_ids)), tuple(active))

    def render() -> dict[str, SafeString]:
        owner.choices = [("", owner.empty_label), *active]
        users.choices = active

        def field(bound: BoundField) -> SafeString:
            return render_to_string("customers/partials/form_field.html", {"field": bound})

        return {
            "owner": field(assign["owner"]),
            "assign_note": field(assign["note"]),
            "users": mark_safe(str(share["users"])),  # noqa: S308 (rendered by its widget)
            "users_label": conditional_escape(share["users"].label),
            "share_note": field(share["note"]),
        }

    return _OWNER_FIELDS.get(key, render)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=100, strip=False)
    role = forms.ChoiceField(label=_("Role"), choices=Contact.Role.choices)
    title = forms.CharField(label=_("Position"), required=False, max_length=100)
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        help_text=_("Separate several with commas."),
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    emails = forms.CharField(
        label=_("E-mails"), required=False, help_text=_("Separate several with commas.")
    )
    birthday = forms.CharField(label=_("Birthday"), required=False, widget=IsoDateInput())
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    @classmethod
    def initial_for(cls, contact: Contact) -> dict[str, Any]:
        return {
            "name": contact.name,
            "role": contact.role,
            "title": contact.title,
            "phones": ", ".join(format_phone_local(p.number) for p in contact.phones.all()),
            "emails": ", ".join(e.address for e in contact.emails.all()),
            "birthday": contact.birthday.isoformat() if contact.birthday else "",
            "notes": contact.notes,
        }


# --- history ----------------------------------------------------------------------------------


class HistoryFilterForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    as_of = forms.DateField(
        label=_("Profile as of"),
        required=False,
        widget=IsoDateInput(),
    )

    def __init__(self, *args: Any, specs: dict[str, FieldSpec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = [(code, str(spec.label)) for code, spec in specs.items()]
        fields += [(code, str(label)) for code, label in HISTORY_ONLY_LABELS.items()]
        self.fields["field"].choices = [("", _("All fields")), *fields]  # type: ignore[attr-defined]
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            ("", _("All channels")),
            *_channel_choices(list(Channel.objects.all())),
        ]

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return self.cleaned_data


# --- administration ---------------------------------------------------------------------------


class ChannelForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and underscores; used by imports and the API."),
    )
    name = forms.CharField(label=_("Chinese name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, channel: Channel) -> dict[str, Any]:
        return {
            "code": channel.code,
            "name": channel.name,
            "name_en": channel.name_en,
            "kind": channel.kind,
            "is_active": channel.is_active,
        }


class CustomFieldForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and underscores. Cannot be changed later."),
    )
    label = forms.CharField(label=_("Chinese label"), max_length=60)
    label_en = forms.CharField(label=_("English label"), max_length=60, required=False)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomField.Type.choices)
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=CustomField.AppliesTo.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice fields: one choice per line."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    searchable = forms.BooleanField(label=_("Searchable"), required=False)
    sensitive = forms.BooleanField(
        label=_("Sensitive"),
        required=False,
        help_text=_("Encrypted, masked, and revealed only by roles allowed to. Fixed once saved."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("code", "field_type", "sensitive"):
                self.fields[name].disabled = True

    @classmethod
    def initial_for(cls, custom: CustomField) -> dict[str, Any]:
        return {
            "code": custom.code,
            "label": custom.label,
            "label_en": custom.label_en,
            "field_type": custom.field_type,
            "applies_to": custom.applies_to,
            "choices": "\n".join(custom.choices),
            "required": custom.required,
            "searchable": custom.searchable,
            "sensitive": custom.sensitive,
            "is_active": custom.is_active,
        }

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines()]
