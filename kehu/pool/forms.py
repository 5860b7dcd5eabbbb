from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.pool.models import PoolPolicy


class PoolPolicyForm(forms.ModelForm[PoolPolicy]):
    class Meta:
        model = PoolPolicy
        fields = [
            "enabled",
            "days_important",
            "days_special",
            "days_general",
            "warning_days",
            "claim_limit",
        ]
        help_texts = {
            "days_important": _("0: never returns."),
            "days_special": _("0: never returns."),
            "days_general": _("0: never returns."),
        }


class PoolFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False)
    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", "—"), *Customer.Grade.choices]
    )
