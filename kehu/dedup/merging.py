"""What a merge would keep: per field, each customer's value and which one survives by default.

Read-only; the merge service and the comparison page both build on it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from kehu.customers.fields import FieldSpec, Store
from kehu.customers.models import Customer
from kehu.customers.selectors import (
    Source,
    channel_labels,
    display_text,
    field_specs_for,
    latest_sources,
)
from kehu.customers.values import mask_text, read_value, to_text

# Fields a merge chooses one value for; phones, e-mails and tags are united instead.
CHOSEN_STORES = frozenset({Store.CUSTOMER, Store.PERSON, Store.ORGANIZATION, Store.CUSTOM})
# Follow the ID number's source by default: the number carries the birth date and gender.
FOLLOW_ID_NUMBER = ("person.birth_date", "person.gender")
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass
class FieldChoice:
    spec: FieldSpec
    texts: dict[int, str]  # customer id → clear text
    sources: dict[int, Source | None]
    default: int  # the customer whose value survives unless chosen otherwise
    differs: bool = False
    shown: dict[int, str] = field(default_factory=dict)  # what a given user may see

    @property
    def code(self) -> str:
        return self.spec.code


def _latest(choice: FieldChoice, order: list[int]) -> int:
    """The customer with the most recently recorded non-empty value; the survivor on a tie."""
    filled = [cid for cid in order if choice.texts[cid]]
    if not filled:
        return order[0]

    def when(cid: int) -> datetime:
        source = choice.sources.get(cid)
        if source is None:
            return _EPOCH
        return source.changed_at

    return max(filled, key=lambda cid: (when(cid), cid == order[0]))


def field_choices(customers: list[Customer]) -> list[FieldChoice]:
    """For customers of one kind (the survivor first), every chosen field's values and default.

    Customers must come with their profiles (``select_related("person", "organization")``).
    """
    survivor = customers[0]
    specs = field_specs_for(survivor.kind)
    sources = {c.pk: latest_sources(c) for c in customers}
    order = [c.pk for c in customers]
    choices: list[FieldChoice] = []
    for code, spec in specs.items():
        if spec.store not in CHOSEN_STORES:
            continue
        texts = {c.pk: to_text(spec, read_value(c, spec)) for c in customers}
        choice = FieldChoice(
            spec=spec,
            texts=texts,
            sources={cid: sources[cid].get(code) for cid in order},
            default=order[0],
            differs=len(set(texts.values())) > 1,
        )
        choice.default = _latest(choice, order)
        choices.append(choice)
    by_code = {choice.code: choice for choice in choices}
    id_choice = by_code.get("person.id_number")
    if id_choice is not None and id_choice.texts[id_choice.default]:
        for code in FOLLOW_ID_NUMBER:
            follower = by_code.get(code)
            if follower is not None and follower.texts[id_choice.default]:
                follower.default = id_choice.default
    return choices


def masked(choices: list[FieldChoice]) -> list[FieldChoice]:
    """Fill ``shown``: sensitive values masked (the comparison page reveals them on request),
    the others in words (choice labels, channel names), never raw codes."""
    channels = channel_labels()
    for choice in choices:
        for cid, text in choice.texts.items():
            sensitive = choice.spec.sensitive is not None
            choice.shown[cid] = (
                mask_text(choice.spec, text)
                if sensitive
                else display_text(choice.spec, text, channels)
            )
    return choices
