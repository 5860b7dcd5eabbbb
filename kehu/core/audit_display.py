"""The audit log in words: an event's detail and object as people read them, in their language.

Events store codes (field codes, choice values, filter names) so they stay exact; the page turns
them into labels through the field registry, the customer list's filters and the models'
choices, and names the object with a link where there is a page for it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role
from kehu.core.models import AuditEvent

# Keys of ``AuditEvent.detail`` in words.
DETAIL_LABELS = {
    "changed": gettext_lazy("changed"),
    "action": gettext_lazy("action"),
    "field": gettext_lazy("field"),
    "fields": gettext_lazy("fields"),
    "filters": gettext_lazy("filters"),
    "columns": gettext_lazy("columns"),
    "rows": gettext_lazy("rows"),
    "format": gettext_lazy("format"),
    "username": gettext_lazy("username"),
    "role": gettext_lazy("role"),
    "integration": gettext_lazy("integration account"),
    "name": gettext_lazy("name"),
    "reason": gettext_lazy("reason"),
    "deleted": gettext_lazy("deleted"),
    "records": gettext_lazy("records"),
    "ip_address": gettext_lazy("IP address"),
    "kind": gettext_lazy("kind"),
    "step": gettext_lazy("step"),
    "customer": gettext_lazy("customer"),
    "customers": gettext_lazy("customers"),
    "survivor": gettext_lazy("survivor"),
    "others": gettext_lazy("others"),
    "merge": gettext_lazy("merge"),
    "file": gettext_lazy("file"),
    "method": gettext_lazy("method"),
    "group": gettext_lazy("group"),
    "channel": gettext_lazy("channel"),
    "purpose": gettext_lazy("purpose"),
    "granted": gettext_lazy("granted"),
    "status": gettext_lazy("status"),
    "note": gettext_lazy("note"),
    "size": gettext_lazy("size"),
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "moved": gettext_lazy("moved"),
    "skipped": gettext_lazy("skipped"),
    "keep_days": gettext_lazy("days kept"),
    "before": gettext_lazy("before"),
    "reason_code": gettext_lazy("reason"),
    "left": gettext_lazy("recovery codes left"),
    "user": gettext_lazy("user"),
}

HANDOVER_KINDS = {
    "customers": gettext_lazy("customers"),
    "opportunities": gettext_lazy("opportunities"),
    "cases": gettext_lazy("cases"),
    "tasks": gettext_lazy("tasks"),
    "reminders": gettext_lazy("reminders"),
}

# Names of what an event changed that are not model fields.
EXTRA_FIELD_LABELS = {
    "teams": gettext_lazy("teams"),
    "password": gettext_lazy("password"),
    "created": gettext_lazy("created"),
}


def _yes_no(value: bool) -> str:
    return str(_("Yes") if value else _("No"))


@dataclass
class DetailLine:
    label: str
    text: str


class AuditDisplay:
    """Turns events into words; one per page, so lookups (channels, filters) are made once."""

    @cached_property
    def _filter_form(self) -> Any:
        from kehu.customers.forms import CustomerFilterForm

        return CustomerFilterForm()

    @cached_property
    def _registry(self) -> dict[str, Any]:
        from kehu.customers.fields import BUILTIN_BY_CODE

        return dict(BUILTIN_BY_CODE)

    def field_label(self, code: str, object_type: str = "") -> str:
        """A field's name: the customer field registry's, else the object's model field's."""
        spec = self._registry.get(code)
        if spec is not None:
            return str(spec.label)
        if code in EXTRA_FIELD_LABELS:
            return str(EXTRA_FIELD_LABELS[code])
        model = _model(object_type)
        if model is not None:
            try:
                return str(model._meta.get_field(code).verbose_name)
            except FieldDoesNotExist:
                pass
        return code

    def filter_text(self, filters: dict[str, Any]) -> str:
        """A customer-list filter in words: the list's own labels and choices."""
        form = self._filter_form
        parts = []
        for name, value in filters.items():
            field = form.fields.get(name)
            if field is None:
                parts.append(f"{name}: {value}")
                continue
            choices = dict(getattr(field, "choices", []) or [])
            shown = str(choices.get(value, value)) if choices else str(value)
            parts.append(f"{field.label}: {shown}")
        return "; ".join(parts)

    def value_text(self, key: str, value: Any, event: AuditEvent) -> str:
        if isinstance(value, bool):
            return _yes_no(value)
        if value is None or value == "":
            return "—"
        if key == "filters" and isinstance(value, dict):
            return self.filter_text(value) or "—"
        if key in {"changed", "columns", "fields"} and isinstance(value, list):
            return ", ".join(self.field_label(str(v), event.object_type) for v in value)
        if key == "field" and isinstance(value, str):
            return self.field_label(value, event.object_type)
        if key == "role" and value in Role.values:
            return str(Role(value).label)
        if key in {"moved", "skipped"} and isinstance(value, dict):
            return ", ".join(f"{HANDOVER_KINDS.get(k, k)} {v}" for k, v in value.items()) or "—"
        choices = _field_choices(event.object_type, key)
        if choices and isinstance(value, str):
            return str(choices.get(value, value))
        if isinstance(value, dict):
            kind = event.object_type
            return "; ".join(
                f"{self.field_label(str(k), kind)}: {self.value_text(str(k), v, event)}"
                for k, v in value.items()
            )
        if isinstance(value, list):
            return ", ".join(self.value_text(key, v, event) for v in value)
        return str(value)

    def lines(self, event: AuditEvent) -> list[DetailLine]:
        return [
            DetailLine(str(DETAIL_LABELS.get(key, key)), self.value_text(key, value, event))
            for key, value in (event.detail or {}).items()
        ]


def _field_choices(object_type: str, name: str) -> dict[str, Any]:
    """The choices of the named field of the event's object's model, if it has them."""
    model = _model(object_type)
    if model is None:
        return {}
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return {}
    return dict(getattr(field, "choices", None) or [])


def _model(object_type: str) -> Any:
    if "." not in object_type:
        return None
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


# Object types with a page, and how to reach it; ``None`` when the viewer may not open it.
OBJECT_URLS: dict[str, Callable[[str], str]] = {
    "customer": lambda pk: reverse("customers:detail", args=[pk]),
    "user": lambda pk: reverse("accounts:user_detail", args=[pk]),
    "accounts.user": lambda pk: reverse("accounts:user_detail", args=[pk]),
    "accounts.team": lambda pk: reverse("accounts:team_edit", args=[pk]),
    "privacy_request": lambda pk: reverse("privacy:detail", args=[pk]),
}

OBJECT_LABELS = {
    "customer": gettext_lazy("customer"),
    "user": gettext_lazy("user"),
    "api_token": gettext_lazy("API token"),
    "export": gettext_lazy("export"),
    "import": gettext_lazy("import"),
    "call": gettext_lazy("call"),
    "audit": gettext_lazy("audit log"),
    "backup": gettext_lazy("backup"),
    "api": gettext_lazy("API"),
    "key_rotation": gettext_lazy("encryption keys"),
    "privacy_request": gettext_lazy("privacy request"),
    "retention_flag": gettext_lazy("retention review"),
    "retention_rule": gettext_lazy("retention rule"),
    "retention_run": gettext_lazy("retention run"),
}


def object_label(object_type: str) -> str:
    if object_type in OBJECT_LABELS:
        return str(OBJECT_LABELS[object_type])
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def object_url(object_type: str, object_id: str) -> str:
    make = OBJECT_URLS.get(object_type)
    if make is None or not object_id.isdigit():
        return ""
    try:
        return make(object_id)
    except NoReverseMatch:
        return ""


def events_for_display(events: list[AuditEvent], *, may_open_users: bool) -> list[AuditEvent]:
    """Give each event ``detail_lines``, ``object_text`` and ``object_link`` for the page."""
    display = AuditDisplay()
    for event in events:
        event.detail_lines = display.lines(event)  # type: ignore[attr-defined]
        event.object_text = object_label(event.object_type) if event.object_type else ""  # type: ignore[attr-defined]
        link = object_url(event.object_type, event.object_id)
        if event.object_type in {"user", "accounts.user", "accounts.team"} and not may_open_users:
            link = ""
        event.object_link = link  # type: ignore[attr-defined]
    return events
