"""What columns of an import of each kind can be mapped to: people and organizations
(``kehu.imports.mapping``) or order history (``kehu.imports.orders``)."""

from kehu.imports import mapping, orders
from kehu.imports.mapping import Target


def import_targets(kind: str) -> list[Target]:
    """Everything a column of an import of ``kind`` can be mapped to."""
    return orders.targets() if kind == "orders" else mapping.import_targets(kind)


def suggest_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """Column header -> field code for the columns recognised; each field used once."""
    return orders.suggest(headers) if kind == "orders" else mapping.suggest_mapping(headers, kind)
