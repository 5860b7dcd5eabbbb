"""The case list in bulk, through the service desk's own services: assign to an agent
(``case_assign``), move along the allowed transitions (``case_transition``), change the priority
with a reason (``case_priority_change``); each on the case's history. Roles that work cases
only, on the cases they can see. Resolving is not offered in bulk: each case needs its own
resolution."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kehu.accounts.models import User
from kehu.bulk.kinds.base import ActionSpec, BulkKind, export_spec, owner_choices, user_or_none
from kehu.bulk.models import BulkAction
from kehu.core.access import can_work_cases
from kehu.core.i18n import in_language_of
from kehu.interactions.notifications import Topic, notify
from kehu.service.forms import CaseFilterForm
from kehu.service.models import Case, Priority
from kehu.service.selectors import case_list, case_workers, cases_visible_to
from kehu.service.services import (
    TRANSITIONS,
    case_assign,
    case_priority_change,
    case_transition,
)

A = BulkAction.Action
S = Case.Status
REFUSED = gettext_lazy("Your role may not work service cases.")
OPEN = (S.NEW, S.IN_PROGRESS, S.WAITING)
# The statuses a case may be moved to in bulk: resolving needs each case's own resolution.
BULK_STATUSES = (S.IN_PROGRESS, S.WAITING, S.CLOSED)


class CaseKind(BulkKind):
    code = BulkAction.Kind.CASES
    model = Case
    refused = REFUSED
    note_required = frozenset({A.PRIORITY})
    cannot_take = {
        A.ASSIGN: gettext_lazy("resolved and closed cases are no longer reassigned"),
        A.STATUS: gettext_lazy("their status does not allow this move"),
        A.PRIORITY: gettext_lazy("only open cases change priority"),
    }

    def actions(self) -> list[ActionSpec]:
        return [
            ActionSpec(
                A.ASSIGN,
                gettext_lazy("Assign to"),
                can_work_cases,
                REFUSED,
                field="assign",
                label_of_field=gettext_lazy("Assign to"),
                choices=lambda: owner_choices(list(case_workers())),
                placeholder=gettext_lazy("Assign to…"),
            ),
            ActionSpec(
                A.STATUS,
                gettext_lazy("Change status"),
                can_work_cases,
                REFUSED,
                field="status",
                label_of_field=gettext_lazy("Status"),
                choices=lambda: [(s, S(s).label) for s in (*BULK_STATUSES, S.RESOLVED)],
                placeholder=gettext_lazy("Status…"),
                uses_note=True,
            ),
            ActionSpec(
                A.PRIORITY,
                gettext_lazy("Change priority"),
                can_work_cases,
                REFUSED,
                field="priority",
                label_of_field=gettext_lazy("Priority"),
                choices=lambda: Priority.choices,
                placeholder=gettext_lazy("Priority…"),
                uses_note=True,
            ),
            export_spec(),
        ]

    def count_text(self, n: int) -> str:
        return ngettext("%(n)s case", "%(n)s cases", n) % {"n": n}

    def list_url(self, query: str = "") -> str:
        return reverse("service:cases") + (f"?{query}" if query else "")

    def listed(self, *, user: User, query: QueryDict) -> QuerySet[Any]:
        return case_list(user=user, filters=CaseFilterForm(query or None).filters())

    def visible(self, user: User) -> QuerySet[Any]:
        return cases_visible_to(user)

    def changeable(self, user: User) -> QuerySet[Any]:
        if not can_work_cases(user):
            return Case.objects.none()
        return cases_visible_to(user)

    def clean(self, action: str, value: str, note: str) -> str:
        value = value.strip()
        if action == A.ASSIGN:
            if not case_workers().filter(pk=int(value) if value.isdigit() else 0).exists():
                raise ValidationError(
                    {"value": [_("Cases can be assigned only to active service staff.")]}
                )
        elif action == A.STATUS:
            if value == S.RESOLVED:
                raise ValidationError(
                    {
                        "value": [
                            _(
                                "Resolving needs each case's own resolution: resolve them one "
                                "at a time from the case's page."
                            )
                        ]
                    }
                )
            if value not in BULK_STATUSES:
                raise ValidationError({"value": [_("Choose a status.")]})
        elif action == A.PRIORITY:
            if value not in Priority.values:
                raise ValidationError({"value": [_("Choose a priority.")]})
        else:
            raise ValidationError({"action": [_("Choose what to do.")]})
        return value

    def target(self, row: BulkAction) -> Any:
        return User.objects.get(pk=int(row.value)) if row.action == A.ASSIGN else row.value

    def takes(self, queryset: QuerySet[Any], action: str, value: str) -> QuerySet[Any]:
        if action == A.STATUS:
            able = [status for status, moves in TRANSITIONS.items() if value in moves]
            return queryset.filter(status__in=[*able, value])
        return queryset.filter(status__in=OPEN)

    def for_run(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("customer")

    def apply(self, row: BulkAction, record: Case, target: Any) -> str | None:
        if row.action == A.ASSIGN:
            if record.assigned_to_id == target.pk:
                return None
            before = str(record.assigned_to_id or "")
            case_assign(user=row.user, case=record, assignee=target, notify_assignee=False)
            return before
        if row.action == A.STATUS:
            if record.status == target:
                return None
            before = record.status
            case_transition(user=row.user, case=record, to_status=target, note=row.note)
            return before
        if record.priority == target:
            return None
        before = record.priority
        case_priority_change(user=row.user, case=record, priority=target, reason=row.note)
        return before

    def finish(self, row: BulkAction, target: Any, changed: int) -> None:
        """One notification to the agent for all the cases given to them, not one per case."""
        if row.action == A.ASSIGN and changed and target != row.user:
            with in_language_of(target):
                text = ngettext(
                    "%(user)s assigned %(n)s case to you.",
                    "%(user)s assigned %(n)s cases to you.",
                    changed,
                ) % {"user": row.user, "n": changed}
            notify(topic=Topic.SERVICE, user=target, text=text, url=reverse("service:queue"))

    def undo_rows(self, row: BulkAction) -> QuerySet[Any]:
        # Only the cases still with the agent they were given to.
        return Case.objects.filter(assigned_to_id=int(row.value)).select_related("customer")

    def undo(self, row: BulkAction, record: Case, held: str, note: str) -> None:
        case_assign(user=row.user, case=record, assignee=user_or_none(held))

    def describe(self, action: str, value: str) -> str:
        if action == A.ASSIGN:
            agent = user_or_none(value)
            return str(agent) if agent else value
        if action == A.STATUS and value in S.values:
            return str(S(value).label)
        if action == A.PRIORITY and value in Priority.values:
            return str(Priority(value).label)
        return value
