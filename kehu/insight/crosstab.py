"""The cross-tab explorer (交叉分析): any two archive dimensions × a measure, over the customers
a user sees, as one grouped SQL query.

Small cells are suppressed (k-anonymity) for roles that read aggregates but not individuals
(``sees_individuals``); they get no drill-down either. Income band and family status are
encrypted at rest, so the database cannot group by them: they are not offered here.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Role, User
from kehu.core.access import can_see_customers
from kehu.customers.models import Customer, CustomField, PersonProfile
from kehu.customers.selectors import customers_visible_to

# Cells with fewer customers than this are hidden from aggregate-only roles.
K_ANONYMITY = 5
AGE_BANDS = ((0, 18), (18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 200))


def sees_individuals(user: User) -> bool:
    """May ``user`` open the customers behind a cell? Not the leader, who reads aggregates."""
    return can_see_customers(user) and user.role != Role.LEADER


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str | Promise
    path: str  # the ORM path, or "" for a computed one
    names: dict[str, str] | None = None


def _age_band(today: date) -> Case:
    whens = []
    for low, high in AGE_BANDS:
        born_after = date(today.year - high, today.month, min(today.day, 28))
        born_before = date(today.year - low, today.month, min(today.day, 28))
        label = f"{low}–{high - 1}" if high < 200 else f"{low}+"
        whens.append(
            When(
                person__birth_date__gt=born_after,
                person__birth_date__lte=born_before,
                then=Value(label),
            )
        )
    return Case(*whens, default=Value(""), output_field=CharField())


def _names(choices: Any) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices}


def dimensions(user: User | None = None) -> dict[str, Dimension]:
    """The dimensions ``user`` may cross, by code (custom choice fields included)."""
    dims = [
        Dimension("province", gettext_lazy("region (province)"), "province"),
        Dimension("kind", gettext_lazy("kind"), "kind", _names(Customer.Kind.choices)),
        Dimension(
            "gender", gettext_lazy("gender"), "person__gender", _names(PersonProfile.Gender.choices)
        ),
        Dimension("age_band", gettext_lazy("age band"), ""),
        Dimension("education", gettext_lazy("highest degree"), "person__highest_degree"),
        Dimension("grade", gettext_lazy("grade"), "grade", _names(Customer.Grade.choices)),
        Dimension("tier", gettext_lazy("value tier"), "value__tier"),
        Dimension("channel", gettext_lazy("source channel"), "source_channel__code"),
        Dimension(
            "stage",
            gettext_lazy("lifecycle stage"),
            "lifecycle_stage",
            _names(Customer.Stage.choices),
        ),
    ]
    # Sensitive custom fields are encrypted at rest (not groupable) and left out like income.
    for custom in CustomField.objects.filter(
        field_type=CustomField.Type.CHOICE, is_active=True, sensitive=False
    ).order_by("sort_order", "code"):
        dims.append(
            Dimension(f"custom.{custom.code}", custom.display_label, f"custom.{custom.code}")
        )
    return {d.code: d for d in dims}


MEASURES: dict[str, str | Promise] = {
    "customers": gettext_lazy("customers"),
    "revenue": gettext_lazy("revenue"),
    "aov": gettext_lazy("average order value"),
    "clv": gettext_lazy("CLV, 12 months"),
    "churn": gettext_lazy("churn risk (share)"),
}


@dataclass
class Cell:
    customers: int
    value: float | None
    share: float  # of all customers in the table, %
    suppressed: bool = False


@dataclass
class CrossTabResult:
    rows: list[tuple[str, str]]  # (key, label)
    columns: list[tuple[str, str]]
    cells: dict[tuple[str, str], Cell]
    total: int
    measure: str
    suppressed: int
    drill_down: bool

    def grid(self) -> list[tuple[tuple[str, str], list[tuple[str, Cell | None]]]]:
        return [
            (row, [(col[0], self.cells.get((row[0], col[0]))) for col in self.columns])
            for row in self.rows
        ]

    def heat(self) -> list[list[Any]]:
        """[column index, row index, value] for the ECharts heat map (suppressed cells left out)."""
        out = []
        for y, row in enumerate(self.rows):
            for x, col in enumerate(self.columns):
                cell = self.cells.get((row[0], col[0]))
                if cell is not None and not cell.suppressed:
                    out.append([x, y, cell.value if cell.value is not None else 0])
        return out


def _annotated(queryset: QuerySet[Customer], dim: Dimension, alias: str) -> QuerySet[Customer]:
    if dim.code == "age_band":
        return queryset.annotate(**{alias: _age_band(timezone.localdate())})
    if dim.path.startswith("custom."):
        return queryset.annotate(
            **{alias: KeyTextTransform(dim.path.split(".", 1)[1], "custom_values")}
        )
    return queryset.annotate(**{alias: F(dim.path)})


def _label(dim: Dimension, key: Any) -> str:
    if key in (None, ""):
        return _("unknown")
    return str((dim.names or {}).get(str(key), key))


def crosstab(*, user: User, rows: str, columns: str, measure: str) -> CrossTabResult:
    """The table of ``measure`` by ``rows`` × ``columns`` over the live customers ``user`` sees;
    raises ``KeyError`` for an unknown dimension or measure."""
    dims = dimensions(user)
    row_dim, col_dim = dims[rows], dims[columns]
    if measure not in MEASURES:
        raise KeyError(measure)
    queryset: Any = customers_visible_to(user).live()
    queryset = _annotated(_annotated(queryset, row_dim, "d_row"), col_dim, "d_col")
    aggregates: dict[str, Any] = {"n": Count("id")}
    if measure == "revenue":
        aggregates["v"] = Sum("value__revenue")
    elif measure == "aov":
        aggregates["rev"] = Sum("value__revenue")
        aggregates["orders"] = Sum("value__orders")
    elif measure == "clv":
        aggregates["v"] = Avg("value__clv_12")
    elif measure == "churn":
        aggregates["v"] = Count("id", filter=Q(value__churn_risk=True))
    grouped = queryset.order_by().values("d_row", "d_col").annotate(**aggregates)
    raw = list(grouped)
    total = sum(r["n"] for r in raw)
    individuals = sees_individuals(user)
    cells: dict[tuple[str, str], Cell] = {}
    row_keys: dict[str, str] = {}
    col_keys: dict[str, str] = {}
    suppressed = 0
    for r in raw:
        rk, ck = str(r["d_row"] or ""), str(r["d_col"] or "")
        row_keys[rk], col_keys[ck] = _label(row_dim, rk), _label(col_dim, ck)
        value: float | None
        if measure == "customers":
            value = float(r["n"])
        elif measure == "aov":
            value = float(r["rev"] / r["orders"]) if r["orders"] else None
        elif measure == "churn":
            value = round(100.0 * r["v"] / r["n"], 1) if r["n"] else None
        else:
            value = float(r["v"]) if isinstance(r["v"], int | float | Decimal) else None
        if isinstance(value, float) and measure in {"revenue", "aov", "clv"}:
            value = round(value, 2)
        hide = not individuals and r["n"] < K_ANONYMITY
        suppressed += hide
        cells[(rk, ck)] = Cell(
            customers=0 if hide else r["n"],
            value=None if hide else value,
            share=0.0 if hide or not total else round(100.0 * r["n"] / total, 1),
            suppressed=hide,
        )
    return CrossTabResult(
        rows=sorted(row_keys.items(), key=lambda kv: (kv[0] == "", kv[1])),
        columns=sorted(col_keys.items(), key=lambda kv: (kv[0] == "", kv[1])),
        cells=cells,
        total=total,
        measure=measure,
        suppressed=suppressed,
        drill_down=individuals,
    )


def cell_customers(
    *, user: User, rows: str, columns: str, row_key: str, column_key: str
) -> QuerySet[Customer]:
    """The customers behind one cell, scoped; refused (empty) for aggregate-only roles."""
    if not sees_individuals(user):
        return Customer.objects.none()
    dims = dimensions(user)
    queryset: Any = customers_visible_to(user).live()
    queryset = _annotated(_annotated(queryset, dims[rows], "d_row"), dims[columns], "d_col")
    for alias, key in (("d_row", row_key), ("d_col", column_key)):
        if key:
            queryset = queryset.filter(**{alias: key})
        else:
            queryset = queryset.filter(Q(**{f"{alias}__isnull": True}) | Q(**{alias: ""}))
    ordered: QuerySet[Customer] = queryset.order_by("name", "id")
    return ordered
