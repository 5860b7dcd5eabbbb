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
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kehu.accounts.models import Role, User
from kehu.core.access import (
    can_administer_archive,
    can_handle_privacy_requests,
    can_manage_accounts,
)
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
    "emailed": gettext_lazy("e-mailed"),
    "expires": gettext_lazy("valid until"),
    "change_id": gettext_lazy("history entry"),
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


def _visible(selector: str) -> Callable[[User, list[int]], set[int]]:
    """Those of the ids that ``selector(user)`` (a queryset of the objects the viewer may see,
    by dotted path) holds."""

    def openable(viewer: User, ids: list[int]) -> set[int]:
        visible = import_string(selector)(viewer)
        return set(visible.filter(pk__in=ids).values_list("pk", flat=True))

    return openable


def _existing(model: str, may: Callable[[User], bool]) -> Callable[[User, list[int]], set[int]]:
    """Those of the ids that still exist, for viewers ``may`` lets open the model's pages."""

    def openable(viewer: User, ids: list[int]) -> set[int]:
        if not may(viewer):
            return set()
        rows = apps.get_model(model).objects.filter(pk__in=ids)
        return set(rows.values_list("pk", flat=True))

    return openable


def _own(model: str, owner: str) -> Callable[[User, list[int]], set[int]]:
    """Those of the ids whose ``owner`` field is the viewer (pages only their maker opens)."""

    def openable(viewer: User, ids: list[int]) -> set[int]:
        rows = apps.get_model(model).objects.filter(pk__in=ids, **{owner: viewer})
        return set(rows.values_list("pk", flat=True))

    return openable


@dataclass(frozen=True)
class ObjectPage:
    """Where an object the audit trail names is shown, and which of them a viewer may open
    (one query per kind of object on the page)."""

    url: Callable[[int], str]
    openable: Callable[[User, list[int]], set[int]]


def _page(url_name: str) -> Callable[[int], str]:
    return lambda pk: reverse(url_name, args=[pk])


_USER_PAGE = ObjectPage(
    _page("accounts:user_detail"), _existing("accounts.User", can_manage_accounts)
)
# Object types (``AuditEvent.object_type``) with a page. Those not here are named in plain text.
OBJECT_PAGES: dict[str, ObjectPage] = {
    "customer": ObjectPage(
        _page("customers:detail"), _visible("kehu.customers.selectors.customers_visible_to")
    ),
    "user": _USER_PAGE,
    "accounts.user": _USER_PAGE,
    "accounts.team": ObjectPage(
        _page("accounts:team_edit"), _existing("accounts.Team", can_manage_accounts)
    ),
    "order": ObjectPage(
        _page("sales:order_detail"), _visible("kehu.sales.selectors.orders_visible_to")
    ),
    "case": ObjectPage(_page("service:case"), _visible("kehu.service.selectors.cases_visible_to")),
    "import": ObjectPage(
        _page("imports:detail"), _existing("imports.ImportBatch", can_administer_archive)
    ),
    # An export has no page of its own: its line in the requester's list of exports.
    "export": ObjectPage(
        lambda pk: f"{reverse('exports:list')}#export-{pk}", _own("exports.ExportJob", "requester")
    ),
    "privacy_request": ObjectPage(
        _page("privacy:detail"),
        _existing("privacy.DataSubjectRequest", can_handle_privacy_requests),
    ),
    "bulk.bulkaction": ObjectPage(_page("bulk:detail"), _own("bulk.BulkAction", "user")),
    "customers.channel": ObjectPage(
        _page("archive_admin:channel_edit"), _existing("customers.Channel", can_manage_accounts)
    ),
    "customers.customfield": ObjectPage(
        _page("archive_admin:custom_field_edit"),
        _existing("customers.CustomField", can_manage_accounts),
    ),
    "intake.webform": ObjectPage(
        _page("intake_admin:form_edit"), _existing("intake.WebForm", can_manage_accounts)
    ),
    "intake.leadroutingrule": ObjectPage(
        _page("intake_admin:rule_edit"), _existing("intake.LeadRoutingRule", can_manage_accounts)
    ),
}
# Other names the same kinds of object go by in older events or other apps.
OBJECT_PAGES["sales.order"] = OBJECT_PAGES["order"]
OBJECT_PAGES["service.case"] = OBJECT_PAGES["case"]


OBJECT_LABELS = {
    "customer": gettext_lazy("customer"),
    # "order" alone is also a sort order (排序).
    "order": pgettext_lazy("audit object", "order"),
    "sales.order": pgettext_lazy("audit object", "order"),
    "case": gettext_lazy("case"),
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


def object_links(viewer: User, events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """(object type, id) -> the page of each object the events name that exists and ``viewer``
    may open; objects without one are absent."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type in OBJECT_PAGES and event.object_id.isdecimal():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    links: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        page = OBJECT_PAGES[object_type]
        for pk in page.openable(viewer, sorted(ids)):
            try:
                links[(object_type, str(pk))] = page.url(pk)
            except NoReverseMatch:
                continue
    return links


def events_for_display(events: list[AuditEvent], *, viewer: User) -> list[AuditEvent]:
    """Give each event ``detail_lines``, ``object_text`` and ``object_link`` (empty unless the
    object has a page ``viewer`` may open) for the page."""
    display = AuditDisplay()
    links = object_links(viewer, events)
    for event in events:
        event.detail_lines = display.lines(event)  # type: ignore[attr-defined]
        event.object_text = object_label(event.object_type) if event.object_type else ""  # type: ignore[attr-defined]
        event.object_link = links.get((event.object_type, event.object_id), "")  # type: ignore[attr-defined]
    return events
