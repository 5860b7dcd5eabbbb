"""The lists whose records may be changed in bulk, by their ``BulkAction.Kind`` code."""

from django.http import Http404

from kehu.bulk.kinds.base import EXPORT, ActionSpec, BulkKind
from kehu.bulk.kinds.cases import CaseKind
from kehu.bulk.kinds.customers import CustomerKind
from kehu.bulk.kinds.sales import OpportunityKind, OrderKind

KINDS: dict[str, BulkKind] = {
    kind.code: kind for kind in (CustomerKind(), OpportunityKind(), OrderKind(), CaseKind())
}


def kind_get(code: str) -> BulkKind:
    """The list named ``code``; 404 for any other."""
    kind = KINDS.get(code)
    if kind is None:
        raise Http404
    return kind


__all__ = ["EXPORT", "KINDS", "ActionSpec", "BulkKind", "kind_get"]
