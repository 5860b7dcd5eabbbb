"""Forms of the contact history UI. Lenient like the archive's: the services validate."""

from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.widgets import IsoDateInput, IsoDateTimeInput
from kehu.customers.fields import BUILTIN_BY_CODE
from kehu.customers.models import Channel, Contact, Customer
from kehu.customers.selectors import channels_active
from kehu.customers.values import read_value
from kehu.interactions.models import Interaction
from kehu.interactions.timeline import SOURCES

EMPTY_CHOICE = ("", "—")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (size, type)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class InteractionForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=Interaction.Type.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Interaction.Direction.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    contact = forms.ChoiceField(label=_("Contact"), required=False)
    occurred_at = forms.DateTimeField(
        label=_("Time"),
        required=False,
        widget=IsoDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("Empty: now."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=24 * 60
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_follow_up_on = forms.DateField(
        label=_("Next follow-up"),
        required=False,
        widget=IsoDateInput(),
    )
    next_follow_up_note = forms.CharField(label=_("Follow-up note"), required=False)
    new_phones = forms.CharField(
        label=_("New phones"),
        required=False,
        help_text=_("Added to the customer's phones. Separate several with commas."),
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    new_emails = forms.CharField(
        label=_("New e-mails"),
        required=False,
        help_text=_("Added to the customer's e-mails."),
    )
    new_address = forms.CharField(
        label=_("New address"), required=False, help_text=_("Replaces the address.")
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to 10 MB each: PDF, images, text, audio, Office documents."),
    )

    FACT_FIELDS = ("new_phones", "new_emails", "new_address")

    def __init__(
        self, *args: Any, customer: Customer, can_change_facts: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.channels = {c.code: c for c in channels_active()}
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            EMPTY_CHOICE,
            *[(code, c.label) for code, c in self.channels.items()],
        ]
        if customer.kind == Customer.Kind.ORGANIZATION:
            self.contacts = {str(c.pk): c for c in Contact.objects.filter(customer=customer)}
            self.fields["contact"].choices = [  # type: ignore[attr-defined]
                EMPTY_CHOICE,
                *[(pk, c.name) for pk, c in self.contacts.items()],
            ]
        else:
            self.contacts = {}
            del self.fields["contact"]
        if not can_change_facts:
            for name in self.FACT_FIELDS:
                del self.fields[name]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.FACT_FIELDS]

    def fact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FACT_FIELDS if name in self.fields]

    def chosen_channel(self) -> Channel | None:
        return self.channels.get(self.cleaned_data.get("channel") or "")

    def chosen_contact(self) -> Contact | None:
        return self.contacts.get(self.cleaned_data.get("contact") or "")

    def facts(self) -> dict[str, Any]:
        """Archive changes learned in this contact: new phones and e-mails are added to the
        existing ones, a new address replaces the old."""
        facts: dict[str, Any] = {}
        for name, code in (("new_phones", "phones"), ("new_emails", "emails")):
            new = [v.strip() for v in (self.cleaned_data.get(name) or "").split(",") if v.strip()]
            if new:
                existing = list(read_value(self.customer, BUILTIN_BY_CODE[code]))
                facts[code] = existing + new
        address = (self.cleaned_data.get("new_address") or "").strip()
        if address:
            facts["address"] = address
        return facts

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        occurred_at: datetime | None = data.get("occurred_at")
        minutes = data.get("duration_minutes")
        return {
            "type": data["type"],
            "direction": data["direction"],
            "channel": self.chosen_channel(),
            "contact": self.chosen_contact(),
            "occurred_at": occurred_at,
            "duration_seconds": minutes * 60 if minutes is not None else None,
            "summary": data.get("summary") or "",
            "outcome": data.get("outcome") or "",
            "next_follow_up_on": data.get("next_follow_up_on"),
            "next_follow_up_note": data.get("next_follow_up_note") or "",
            "facts": self.facts() or None,
            "attachments": data.get("attachments") or [],
        }

    # The service names its fields; some are asked here under another name.
    SERVICE_FIELD_NAMES = {
        "duration_seconds": "duration_minutes",
        "phones": "new_phones",
        "emails": "new_emails",
        "address": "new_address",
    }


def default_time() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def timeline_filter_choices() -> list[tuple[str, Any]]:
    """All, each source, and each type of interaction: values "kind" or "interaction:type"."""
    choices: list[tuple[str, Any]] = [("", _("Everything"))]
    for kind, (label, _source) in SOURCES.items():
        choices.append((kind, label))
        if kind == "interaction":
            choices.extend(
                (f"interaction:{value}", f"— {label_}")
                for value, label_ in Interaction.Type.choices
            )
    return choices


def parse_timeline_filter(value: str) -> tuple[set[str] | None, dict[str, str]]:
    kind, _sep, subtype = value.partition(":")
    if kind not in SOURCES:
        return None, {}
    if subtype and subtype not in Interaction.Type.values:
        subtype = ""
    return {kind}, ({kind: subtype} if subtype else {})
