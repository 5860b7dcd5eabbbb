from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.exports.columns import DEFAULT_COLUMNS, Column
from kehu.exports.models import ExportJob
from kehu.privacy.models import Purpose


class ExportForm(forms.Form):
    """The export dialog: which columns, which format; the list's filters ride along."""

    columns = forms.MultipleChoiceField(
        label=_("Columns"), widget=forms.CheckboxSelectMultiple, required=True
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=ExportJob.Format.choices,
        initial=ExportJob.Format.XLSX,
        widget=forms.RadioSelect,
    )
    purpose = forms.ChoiceField(
        label=_("The people exported will be contacted for"),
        required=False,
        help_text=_("Only customers who agreed to it are exported."),
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def __init__(self, *args: Any, columns: dict[str, Column], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "columns", [code for code in DEFAULT_COLUMNS if code in columns]
        )
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [  # type: ignore[attr-defined]
            ("", _("Nothing: record keeping by the archive")),
            *Purpose.choices,
        ]
        self.fields["columns"].choices = [  # type: ignore[attr-defined]
            (code, str(column.label)) for code, column in columns.items()
        ]
