"""Browser forms of the loyalty pages; they parse, the services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.widgets import IsoDateInput
from kehu.customers.models import Customer
from kehu.customers.segments import segments_visible_to
from kehu.loyalty.care import PLAN_FIELDS
from kehu.loyalty.models import CarePlan, Level, PointsEntry, Programme
from kehu.loyalty.services import LEVEL_FIELDS, PROGRAMME_FIELDS


class ProgrammeForm(forms.ModelForm[Programme]):
    class Meta:
        model = Programme
        fields = PROGRAMME_FIELDS


class LevelForm(forms.ModelForm[Level]):
    class Meta:
        model = Level
        fields = LEVEL_FIELDS
        widgets = {"benefits": forms.TextInput()}


LevelFormSet = forms.modelformset_factory(Level, form=LevelForm, extra=1, can_delete=False)


class CarePlanForm(forms.ModelForm[CarePlan]):
    grade = forms.ChoiceField(
        label=_("grade"), choices=[("", _("Any"))] + list(Customer.Grade.choices), required=False
    )

    class Meta:
        model = CarePlan
        fields = PLAN_FIELDS

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        segment = self.fields["segment"]
        assert isinstance(segment, forms.ModelChoiceField)  # noqa: S101 (a foreign key)
        segment.queryset = segments_visible_to(user)
        segment.empty_label = _("Any")


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("", _("All"))] + list(PointsEntry.Kind.choices), required=False
    )
    level = forms.ModelChoiceField(
        label=_("level"), queryset=Level.objects.order_by("rank"), required=False
    )
    since = forms.DateField(label=_("start date"), required=False, widget=IsoDateInput())
    until = forms.DateField(label=_("end date"), required=False, widget=IsoDateInput())
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput())


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("start date"), required=False, widget=IsoDateInput())
    end = forms.DateField(label=_("end date"), required=False, widget=IsoDateInput())
