"""The cross-tab explorer (交叉分析): any two archive dimensions × a measure, over the customers
a user sees, as one grouped SQL query.

A large archive (``CUBE_FROM`` live customers or more) is read, for the roles that see every
customer, from ``CrossTabCell``: every pair of dimensions counted in the background (hourly and
on demand) from one grouped scan, so a table is one small read instead of a scan of a million
customers. The page says when it was counted. Narrower scopes and small archives are counted live.

Small cells are suppressed (k-anonymity) for roles that read aggregates but not individuals
(``sees_individuals``); they get no drill-down either. Income band and family status are
encrypted at rest, so the database cannot group by them: they are not offered here.
"""

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
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
from kehu.core.access import Scope, can_see_customers, policy_for
from kehu.customers.models import Channel, Customer, CustomField, PersonProfile
from kehu.customers.selectors import customers_visible_to
from kehu.insight.models import CrossTabCell

# Cells with fewer customers than this are hidden from aggregate-only roles.
K_ANONYMITY = 5
# From this many live customers, whole-archive tables are read from the counted cells.
CUBE_FROM = 100_000
AGE_BANDS = ((0, 18), (18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 200))


def sees_individuals(user: User) -> bool:
    """May ``user`` open the customers behind a cell? Not the leader, who reads aggregates."""
    return can_see_customers(user) and user.role != Role.LEADER


def sees_whole_archive(user: User) -> bool:
    """Does ``user`` see every customer (and so may read, and recount, the counted cells)?"""
    return policy_for(user).view is Scope.ALL


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
        Dimension(
            "channel",
            gettext_lazy("source channel"),
            "source_channel__code",
            {c.code: c.label for c in Channel.objects.all()},
        ),
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
    counted_at: datetime | None = None  # None: counted live for this request

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


def _aggregates(measure: str) -> dict[str, Any]:
    aggregates: dict[str, Any] = {"n": Count("id")}
    if measure == "revenue":
        aggregates["v"] = Sum("value__revenue")
    elif measure == "aov":
        aggregates["rev"] = Sum("value__revenue")
        aggregates["orders"] = Sum("value__orders")
    elif measure == "clv":  # a sum and a count, not AVG: exact, as the counted cells are
        aggregates["clv_sum"] = Sum("value__clv_12")
        aggregates["clv_n"] = Count("value__clv_12")
    elif measure == "churn":
        aggregates["v"] = Count("id", filter=Q(value__churn_risk=True))
    return aggregates


def _from_cells(cells: list[CrossTabCell], measure: str) -> list[dict[str, Any]]:
    """The counted cells in the shape of the live query's rows."""
    out = []
    for c in cells:
        r: dict[str, Any] = {"d_row": c.row_key, "d_col": c.column_key, "n": c.customers}
        if measure == "revenue":
            r["v"] = c.revenue
        elif measure == "aov":
            r["rev"], r["orders"] = c.revenue, c.orders
        elif measure == "clv":
            r["clv_sum"], r["clv_n"] = c.clv_sum, c.clv_count
        elif measure == "churn":
            r["v"] = c.churn
        out.append(r)
    return out


def _counted(rows: str, columns: str) -> list[CrossTabCell]:
    """The pair's counted cells when the archive is large enough to need them, else []."""
    cells = list(CrossTabCell.objects.filter(rows=rows, columns=columns))
    return cells if sum(c.customers for c in cells) >= CUBE_FROM else []


def crosstab(
    *, user: User, rows: str, columns: str, measure: str, live: bool = False
) -> CrossTabResult:
    """The table of ``measure`` by ``rows`` × ``columns`` over the live customers ``user`` sees;
    raises ``KeyError`` for an unknown dimension or measure. ``live`` never reads the counted
    cells."""
    dims = dimensions(user)
    row_dim, col_dim = dims[rows], dims[columns]
    if measure not in MEASURES:
        raise KeyError(measure)
    counted = _counted(rows, columns) if not live and sees_whole_archive(user) else []
    raw: list[dict[str, Any]]
    if counted:
        raw = _from_cells(counted, measure)
    else:
        queryset: Any = customers_visible_to(user).live()
        queryset = _annotated(_annotated(queryset, row_dim, "d_row"), col_dim, "d_col")
        raw = list(queryset.order_by().values("d_row", "d_col").annotate(**_aggregates(measure)))
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
        elif measure == "clv":
            value = float(r["clv_sum"] / r["clv_n"]) if r["clv_n"] else None
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
        counted_at=counted[0].built_at if counted else None,
    )


def cube_build() -> int:
    """Count every ordered pair of dimensions over the whole live archive into
    ``CrossTabCell`` (replacing the last count); returns the number of cells.

    One grouped scan at the finest grain (all dimensions at once), then each pair summed from
    it with pandas: a million customers are read once, not once per pair."""
    import pandas as pd
    from django.db import transaction

    dims = dimensions()
    aliases = {code: f"d{i}" for i, code in enumerate(dims)}
    queryset: Any = Customer.objects.live()
    for code, dim in dims.items():
        queryset = _annotated(queryset, dim, aliases[code])
    grouped = (
        queryset.order_by()
        .values(*aliases.values())
        .annotate(
            n=Count("id"),
            revenue=Sum("value__revenue"),
            orders=Sum("value__orders"),
            clv_sum=Sum("value__clv_12"),
            clv_count=Count("value__clv_12"),
            churn=Count("id", filter=Q(value__churn_risk=True)),
        )
    )
    figures = ["n", "revenue", "orders", "clv_sum", "clv_count", "churn"]
    frame = pd.DataFrame.from_records(
        list(grouped),
        columns=[*aliases.values(), *figures],
    )
    for alias in aliases.values():
        frame[alias] = frame[alias].map(lambda key: str(key) if key not in (None, "") else "")
    # Money as integer cents (exact sums), then back to Decimal; missing stays missing.
    for money in ("revenue", "clv_sum"):
        frame[money] = frame[money].map(_cents).astype("Int64")
    frame["orders"] = frame["orders"].astype("Int64")
    built_at = timezone.now()
    cells = []
    for rows, columns in itertools.product(dims, repeat=2):
        keys = [aliases[rows]] if rows == columns else [aliases[rows], aliases[columns]]
        for key, r in frame.groupby(keys)[figures].sum(min_count=1).iterrows():
            row_key, column_key = (key, key) if rows == columns else key
            cells.append(
                CrossTabCell(
                    rows=rows,
                    columns=columns,
                    row_key=row_key,
                    column_key=column_key,
                    customers=int(r["n"]),
                    revenue=_money(r["revenue"]),
                    orders=None if pd.isna(r["orders"]) else int(r["orders"]),
                    clv_sum=_money(r["clv_sum"]),
                    clv_count=int(r["clv_count"]),
                    churn=int(r["churn"]),
                    built_at=built_at,
                )
            )
    with transaction.atomic():
        CrossTabCell.objects.all().delete()
        CrossTabCell.objects.bulk_create(cells, batch_size=2000)
    return len(cells)


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int(Decimal(value).scaleb(2))


def _money(cents: Any) -> Decimal | None:
    import pandas as pd

    return None if pd.isna(cents) else Decimal(int(cents)).scaleb(-2)


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
