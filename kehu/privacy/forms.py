from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.widgets import IsoDateInput
from kehu.privacy.models import (
    ConsentMethod,
    Purpose,
    RequestKind,
    RequestStatus,
    RetentionRule,
    Verification,
)

LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *RequestStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All")), *RequestKind.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=RequestKind.choices)
    verification = forms.ChoiceField(label=_("Identity verified by"), choices=Verification.choices)
    verification_note = forms.CharField(
        label=_("Verification note"),
        required=False,
        max_length=300,
        help_text=_("What was checked, e.g. the document type; not the document number."),
    )
    received_on = forms.DateField(label=_("Date received"), widget=IsoDateInput())
    language = forms.ChoiceField(label=_("The person's language"), choices=LANGUAGE_CHOICES)
    details = forms.CharField(
        label=_("What the person asks"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RequestUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=RequestStatus.choices)
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=User.objects.none())
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kehu.core.access import can_handle_privacy_requests

        handlers = [
            u.pk for u in User.objects.filter(is_active=True) if can_handle_privacy_requests(u)
        ]
        self.fields["handler"].queryset = User.objects.filter(pk__in=handlers).order_by(  # type: ignore[attr-defined]
            "username"
        )


class CorrectionForm(forms.Form):
    field_1 = forms.ChoiceField(label=_("Field"))
    value_1 = forms.CharField(label=_("Corrected value"), required=False, max_length=2000)
    field_2 = forms.ChoiceField(label=_("Field"), required=False)
    value_2 = forms.CharField(label=_("Corrected value"), required=False, max_length=2000)
    forget_old_values = forms.BooleanField(
        label=_("Take the wrong values out of the history too"), required=False, initial=True
    )

    def __init__(self, *args: Any, field_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field_1"].choices = field_choices  # type: ignore[attr-defined]
        self.fields["field_2"].choices = [("", "—"), *field_choices]  # type: ignore[attr-defined]

    def data_for_service(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for n in (1, 2):
            code = self.cleaned_data.get(f"field_{n}")
            if code:
                data[code] = self.cleaned_data.get(f"value_{n}", "")
        return data


class WithdrawForm(forms.Form):
    purposes = forms.MultipleChoiceField(
        label=_("Purposes withdrawn"),
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    granted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Granted")), ("0", _("Withdrawn"))],
        coerce=lambda v: v == "1",
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=[
            (c, label)
            for c, label in ConsentMethod.choices
            if c not in {ConsentMethod.REQUEST, ConsentMethod.RETENTION}
        ],
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=200,
        help_text=_("Form and version, recording number, paper form number or legal basis."),
    )


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=RetentionRule.Kind.choices)
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=1200)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
