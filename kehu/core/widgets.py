"""Form widgets every app shares.

Browsers accept only ISO values in ``<input type="date">`` (``2026-12-03``),
``type="datetime-local"`` (``2026-12-03T09:30``) and ``type="time"`` (``09:30``), whatever the
page's language; Django's own widgets format by the active locale (``2026/12/03`` in zh-Hans),
which the browser rejects and shows as empty. Every date, date-time and time field uses these.
"""

from django import forms


class IsoDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class IsoDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class IsoTimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")
