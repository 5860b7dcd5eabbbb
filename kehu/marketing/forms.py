"""Forms of the campaign pages; the services validate again."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.widgets import IsoDateInput, IsoDateTimeInput
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    MessageTemplate,
    ResponseKind,
)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    objective = forms.CharField(
        label=_("Objective"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=IsoDateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=IsoDateInput())
    budget = forms.DecimalField(
        label=_("Budget"), min_value=0, max_digits=14, decimal_places=2, initial=0
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=CampaignChannel.choices, widget=forms.CheckboxSelectMultiple
    )
    segment_ids = forms.TypedMultipleChoiceField(
        label=_("Segments"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    cross_sell_rule_id = forms.IntegerField(
        label=_("Cross-sell list (rule number)"), required=False, min_value=1
    )
    control_percent = forms.IntegerField(
        label=_("Control group (%)"), min_value=0, max_value=50, initial=10
    )
    attribution = forms.ChoiceField(label=_("Attribution"), choices=Campaign.Attribution.choices)
    attribution_days = forms.IntegerField(
        label=_("Attribution window (days)"), min_value=1, max_value=365, initial=30
    )
    track_responses = forms.BooleanField(
        label=_("Track opens and clicks in the e-mails"),
        required=False,
        help_text=_("A one-pixel image and click-through links record who opened and clicked."),
    )

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment_ids"].choices = segments  # type: ignore[attr-defined]


class TemplateForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c, label) for c, label in CampaignChannel.choices if c in ("email", "sms")],
    )
    language = forms.ChoiceField(label=_("Language"), choices=MessageTemplate.Language.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(label=_("Launch at"), widget=IsoDateTimeInput())


class TestSendForm(forms.Form):
    to = forms.EmailField(label=_("Send a test to"))
    language = forms.ChoiceField(label=_("Language"), choices=MessageTemplate.Language.choices)


class CostForm(forms.Form):
    item = forms.CharField(label=_("Item"), max_length=200)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=14, decimal_places=2)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *CampaignChannel.choices],
    )
    incurred_on = forms.DateField(label=_("Date"), required=False, widget=IsoDateInput())


class ResponseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Response"), choices=ResponseKind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ContactForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c, label) for c, label in CampaignChannel.choices if c not in ("email", "sms")],
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=200)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    response = forms.ChoiceField(
        label=_("Response"), required=False, choices=[("", "—"), *ResponseKind.choices]
    )
