"""Forms of the pages every app shares."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.models import AuditEvent
from kehu.core.widgets import IsoDateInput


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditEvent.Action.choices],
    )
    username = forms.CharField(label=_("Username"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return self.cleaned_data
