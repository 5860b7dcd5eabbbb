"""The bulk bar a list shows above its rows: the actions the user's role may take there, and an
input for each action's value."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.bulk.kinds import kind_get


@dataclass
class BarInput:
    """One value input of the bar: ``value_<field>``, a select (``choices``) or a text box."""

    field: str
    label: str | Promise
    choices: list[tuple[str, str]] | None
    placeholder: str | Promise
    max_length: int


@dataclass
class BulkBar:
    kind: str
    # (code, label, the field of its input: "" for none)
    actions: list[tuple[str, str | Promise, str]]
    inputs: list[BarInput] = field(default_factory=list)
    # The reason box, for lists where an action keeps one on each record's history.
    note_label: str | Promise = ""


def bulk_bar(*, user: User, kind: str) -> BulkBar | None:
    """The bar of the list ``kind`` for ``user``; None when their role may do nothing there
    (the list then shows no bar and no tick boxes). Each kind of options costs one query."""
    listed = kind_get(kind)
    specs = listed.actions_for(user)
    if not specs:
        return None
    bar = BulkBar(kind=listed.code, actions=[(s.code, s.label, s.field) for s in specs])
    seen: set[str] = set()
    read: dict[Any, list[tuple[str, str]]] = {}  # options read once for inputs that share them
    for spec in specs:
        if not spec.field or spec.field in seen:
            continue
        seen.add(spec.field)
        choices: Any = None
        if spec.choices is not None:
            if spec.choices not in read:
                read[spec.choices] = [(str(v), str(label)) for v, label in spec.choices()]
            choices = read[spec.choices]
        bar.inputs.append(
            BarInput(spec.field, spec.label_of_field, choices, spec.placeholder, spec.max_length)
        )
    if any(spec.uses_note for spec in specs):
        bar.note_label = _("Reason (kept on each record's history)")
    return bar
