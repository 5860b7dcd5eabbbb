"""Forms of the oversight pages: parse and check input, nothing else."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team, User
from kehu.core.widgets import IsoDateInput
from kehu.customers.models import Customer
from kehu.oversight.models import RiskLevel, RiskRule, SalesTarget


class RiskFilterForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("Risk level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(v, label) for v, label in RiskLevel.choices if v]],
    )
    rule = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", "—"), *RiskRule.Code.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.filter(is_active=True)
    )
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.all())


class DashboardForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
    )
    on = forms.DateField(label=_("Containing the day"), required=False, widget=IsoDateInput())
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.all())


class ReviewForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    next_review_on = forms.DateField(label=_("Next review"), required=False, widget=IsoDateInput())
    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", _("unchanged")), *Customer.Grade.choices]
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=[("", _("unchanged")), *Customer.Stage.choices],
    )
    credit_limit = forms.DecimalField(
        label=_("Credit limit"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason for the changes"), required=False, max_length=300)


class TargetForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=SalesTarget.Period.choices)
    starts_on = forms.DateField(label=_("Month or quarter starting"), widget=IsoDateInput())
    owner = forms.ModelChoiceField(
        label=_("Sales rep"), required=False, queryset=User.objects.filter(is_active=True)
    )
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.all())
    metric = forms.ChoiceField(label=_("Measure"), choices=SalesTarget.Metric.choices)
    amount = forms.DecimalField(label=_("Target"), min_value=0, max_digits=16, decimal_places=2)
