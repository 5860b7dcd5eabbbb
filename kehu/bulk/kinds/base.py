"""What a bulk action needs to know of a list (``BulkKind``): its records, which of them a user
may change, the actions it offers, and how each action changes one record — always through the
owning app's own service, so the record's history reads as if it had been changed by hand.

A change that one record refuses (``ValidationError``, ``PermissionDenied``, ``Conflict``) skips
that record; the bulk action counts it and goes on.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.bulk.models import BulkAction
from kehu.core.access import can_export
from kehu.exports.models import ExportJob

# The action that writes a file of the selection (through kehu.exports) instead of changing it.
EXPORT = "export"

Choices = Callable[[], Sequence[tuple[Any, Any]]]


@dataclass(frozen=True)
class ActionSpec:
    """One action of a list's bulk bar."""

    code: str
    label: str | Promise
    permitted: Callable[[User], bool]
    refused: str | Promise
    # The bar's input for the action's value (``value_<field>``); several actions may share one.
    field: str = ""
    label_of_field: str | Promise = ""
    # A select's options; None: a text box.
    choices: Choices | None = None
    placeholder: str | Promise = ""
    # A text box's longest value.
    max_length: int = 40
    # Whether the bar's "reason" box applies (kept on each record's history).
    uses_note: bool = False


class BulkKind:
    """A list whose records may be changed in bulk; one subclass per list."""

    code: str
    model: type[Model]
    # Why a role that may do none of the list's actions is refused.
    refused: str | Promise
    # Why some of the records a user may change cannot take an action (shown when they differ).
    cannot_take: dict[str, str | Promise] = {}
    note_required: frozenset[str] = frozenset()

    def actions(self) -> list[ActionSpec]:
        raise NotImplementedError

    def count_text(self, n: int) -> str:
        """``n`` records in words: "3 opportunities"."""
        raise NotImplementedError

    def list_url(self, query: str = "") -> str:
        raise NotImplementedError

    def listed(self, *, user: User, query: QueryDict) -> QuerySet[Any]:
        """Every record the list shows ``user`` with the filters of ``query``."""
        raise NotImplementedError

    def visible(self, user: User) -> QuerySet[Any]:
        """The records ``user`` may see (and export, if their role exports)."""
        raise NotImplementedError

    def changeable(self, user: User) -> QuerySet[Any]:
        """The records ``user`` may change, as the single change would allow."""
        raise NotImplementedError

    def scope(self, user: User, action: str) -> QuerySet[Any]:
        """The records ``user`` may take ``action`` on: see them to export, else change them."""
        return self.visible(user) if action == EXPORT else self.changeable(user)

    def clean(self, action: str, value: str, note: str) -> str:
        """The action's value, checked (``ValidationError`` with a clear message)."""
        raise NotImplementedError

    def target(self, row: BulkAction) -> Any:
        """What the value names (the new owner, the stage…), read once per run."""
        return row.value

    def takes(self, queryset: QuerySet[Any], action: str, value: str) -> QuerySet[Any]:
        """Of ``queryset``, the records that can take the action (or already are as asked)."""
        return queryset

    def for_run(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def apply(self, row: BulkAction, record: Any, target: Any) -> str | None:
        """Change one record; return what it held before (for undo), None if it already was as
        asked. Raises what the app's service raises when the record refuses the change."""
        raise NotImplementedError

    def undo_rows(self, row: BulkAction) -> QuerySet[Any]:
        """The records an undo may put back (those still as the action left them)."""
        raise NotImplementedError

    def undo(self, row: BulkAction, record: Any, held: str, note: str) -> None:
        raise NotImplementedError

    def export_page(self, query: str, ids: list[int]) -> str | None:
        """Where an export of the selection is set up, when the list has its own export page
        (None: the bar's export writes the file at once)."""
        return None

    def finish(self, row: BulkAction, target: Any, changed: int) -> None:
        """After a run, once, with the number of records it changed: what the action changes
        besides the records (a count, one notification…)."""

    def describe(self, action: str, value: str) -> str:
        """The value in words, for the confirmation and the progress page."""
        return value

    # --- shared by the lists ------------------------------------------------------------------

    def action(self, code: str) -> ActionSpec | None:
        return next((spec for spec in self.actions() if spec.code == code), None)

    def actions_for(self, user: User) -> list[ActionSpec]:
        return [spec for spec in self.actions() if spec.permitted(user)]

    def check_note(self, action: str, note: str) -> str:
        note = note.strip()
        if len(note) > 300:
            raise ValidationError({"note": [_("At most %(n)s characters.") % {"n": 300}]})
        if action in self.note_required and not note:
            raise ValidationError(
                {"note": [_("Say why: the reason goes on each record's history.")]}
            )
        return note


def export_spec() -> ActionSpec:
    """Export the selection: a file through ``kehu.exports``, for the roles that export."""
    return ActionSpec(
        EXPORT,
        gettext_lazy("Export"),
        can_export,
        gettext_lazy("Your role may not export."),
        field="format",
        label_of_field=gettext_lazy("Format"),
        choices=lambda: ExportJob.Format.choices,
    )


def owner_choices(people: Sequence[User]) -> list[tuple[str, str]]:
    return [(str(person.pk), f"{person} ({person.username})") for person in people]


def active_user(value: str) -> User | None:
    return User.objects.filter(pk=int(value) if value.isdigit() else 0, is_active=True).first()


def user_or_none(held: str) -> User | None:
    """The user whose id an undo record holds ("" for none)."""
    return User.objects.filter(pk=int(held)).first() if held.isdigit() else None
