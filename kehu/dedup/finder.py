"""The duplicate finder: every live customer compared with its likely twins by splink on DuckDB.

Why splink: it is the maintained Fellegi–Sunter implementation (UK Ministry of Justice) whose
model, blocking and training are SQL run by DuckDB here and by Spark at scale, so a million
customers are compared in minutes without a hand-written probabilistic model. The model itself
(keys, blocking, levels, priors) is ``kehu.dedup.model`` over the records of
``kehu.dedup.records``, shared with the checks at entry.

Stages: ``load`` reads customers in id-ordered chunks through the Django connection into a
pyarrow table (nothing is downloaded: no DuckDB extension is used); ``block`` lists the pairs
sharing a blocking key; ``train`` estimates the model from the archive; ``score`` predicts and
keeps the pairs at or above the threshold, a match weight.

Training (the default; ``train=False`` keeps the priors): u probabilities by splink's random
sampling of pairs, from archives of ``TRAIN_FROM`` customers on (below that a sample says
little; the priors are used). The m probabilities and the prior match probability stay fixed
(``kehu.dedup.model``), so a threshold is the same amount of evidence at any archive size. EM
for the m probabilities is not used: on blocked pairs of the generated archive it was unstable
(issue 5's notes), and the fixed m values held on FEBRL.
"""

import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from django.conf import settings as django_settings
from django.db import connection

from kehu.customers.models import Customer, Email, OrganizationProfile, PersonProfile, Phone
from kehu.dedup.model import (
    COMPARED,
    CROWDED,
    DEFAULT_THRESHOLD,
    FREQUENCY_COLUMNS,
    PRIOR_MATCH_PROBABILITY,
    Parameters,
    blocking_rules,
    capped_keys,
    comparisons,
    probability,
    weight,
)
from kehu.dedup.records import company_core, customer_record, name_pinyin

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_THRESHOLD", "company_core", "find_duplicates", "name_pinyin"]

CHUNK = 10_000
# DuckDB's memory for blocking, training and scoring; beyond it, it spills to disk.
MEMORY_LIMIT = "1200MB"
TRAIN_FROM = 1_000

Progress = Callable[[str, int], None]


# --- reading the archive ------------------------------------------------------------------------

_TEXT = (
    "kind name name_key name_py family initial birth_date birth_year phone1 phone2 phone_head "
    "phone_tail email email_local id_hash credit_code province city district street_key "
    "postcode employer"
).split()
SCHEMA = pa.schema(
    [("unique_id", pa.int64())]
    + [(name, pa.string()) for name in _TEXT]
    + [("phones", pa.list_(pa.string())), ("address_tokens", pa.list_(pa.string()))]
)


def _none(value: Any) -> Any:
    return value if value not in ("", None) else None


def _grouped(sql: str, low: int, high: int) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [low, high])
        for customer_id, value in cursor.fetchall():
            result.setdefault(customer_id, []).append(value)
    return result


def _sql() -> dict[str, str]:
    q = connection.ops.quote_name
    customer, person = Customer._meta.db_table, PersonProfile._meta.db_table
    org, phone, email = (
        OrganizationProfile._meta.db_table,
        Phone._meta.db_table,
        Email._meta.db_table,
    )
    return {
        "customers": (
            f"SELECT c.id, c.kind, c.name, c.province, c.city, c.district, c.address, "  # noqa: S608
            f"p.birth_date, p.id_number_hash, p.employer, o.credit_code "
            f"FROM {q(customer)} c "
            f"LEFT JOIN {q(person)} p ON p.customer_id = c.id "
            f"LEFT JOIN {q(org)} o ON o.customer_id = c.id "
            f"WHERE c.id > %s AND c.id <= %s AND c.status IN ('active', 'public_pool') "
            f"ORDER BY c.id LIMIT %s"
        ),
        "phones": (
            f"SELECT customer_id, number FROM {q(phone)} "  # noqa: S608
            f"WHERE contact_id IS NULL AND customer_id BETWEEN %s AND %s ORDER BY id"
        ),
        "emails": (
            f"SELECT customer_id, address FROM {q(email)} "  # noqa: S608
            f"WHERE contact_id IS NULL AND customer_id BETWEEN %s AND %s ORDER BY id"
        ),
    }


def _chunks(
    chunk: int, after: int = 0, up_to: int = 2**62
) -> Iterator[tuple[list[tuple[Any, ...]], dict[int, list[str]], dict[int, list[str]]]]:
    sql = _sql()
    last = after
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql["customers"], [last, up_to, chunk])
            rows = cursor.fetchall()
        if not rows:
            return
        low, high = rows[0][0], rows[-1][0]
        yield rows, _grouped(sql["phones"], low, high), _grouped(sql["emails"], low, high)
        last = high


# The columns of ``_sql()["customers"]`` as ``customer_record`` names them.
_COLUMNS = (
    "customer_id", "kind", "name", "province", "city", "district", "address", "birth_date",
    "id_hash", "employer", "credit_code",
)  # fmt: skip


def _batch(
    rows: list[tuple[Any, ...]], phones: dict[int, list[str]], emails: dict[int, list[str]]
) -> pa.RecordBatch:
    records = [
        customer_record(
            **dict(zip(_COLUMNS, row, strict=True)),
            phones=phones.get(row[0]),
            emails=emails.get(row[0]),
        )
        for row in rows
    ]
    return pa.RecordBatch.from_pylist(records, schema=SCHEMA)


def records_table(
    *, progress: Progress | None = None, total: int = 0, chunk: int = CHUNK
) -> pa.Table:
    """Every live customer (active or in the public pool) as one row of the finder's input.

    Each chunk becomes an Arrow record batch at once, so the Python objects of one chunk are
    alive at a time, not those of the whole archive (a million customers' keys as Python
    strings and lists take several times their Arrow size)."""
    batches = []
    done = 0
    for rows, phones, emails in _chunks(chunk):
        batches.append(_batch(rows, phones, emails))
        done += len(rows)
        if progress is not None:
            progress("load", min(99, round(100 * done / total)) if total else 0)
    return pa.Table.from_batches(batches, schema=SCHEMA)


# From this many live customers the archive is read by READERS forked processes, one id range
# each, writing Parquet that DuckDB reads: on two cores in half the time, and the Python heap the
# reading leaves behind (~1.4 GB at a million customers, mostly freed but fragmented) goes with
# them instead of staying in the process that then blocks and scores.
READ_APART_FROM = 200_000
READERS = 2


def _read_range(path: str, after: int, up_to: int, done: Any) -> None:
    """In a forked reader: the live customers with ids in (after, up_to] into Parquet."""
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, SCHEMA) as writer:
        for rows, phones, emails in _chunks(CHUNK, after, up_to):
            writer.write_batch(_batch(rows, phones, emails))
            with done.get_lock():
                done.value += len(rows)
    connection.close()


def _read_apart(folder: str, total: int, report: Callable[[str, int], None]) -> str:
    """Read the archive in READERS forked processes; the SQL that reads what they wrote."""
    import multiprocessing

    import pyarrow.parquet  # noqa: F401 (imported once, before forking)
    from django.db import connections
    from django.db.models import Max

    top = Customer.objects.aggregate(top=Max("pk"))["top"] or 0
    step = top // READERS + 1
    paths = [f"{folder}/records-{n}.parquet" for n in range(READERS)]
    # No connection is shared with a child: each opens its own, as this process does after.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    done = context.Value("q", 0)
    readers = [
        context.Process(target=_read_range, args=(path, n * step, (n + 1) * step, done))
        for n, path in enumerate(paths)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        while reader.is_alive():
            reader.join(timeout=1)
            report("load", min(99, round(100 * done.value / total)))
    if any(reader.exitcode != 0 for reader in readers):
        raise RuntimeError("A reader of the archive for the duplicate search failed.")
    return "read_parquet([" + ", ".join(f"'{path}'" for path in paths) + "])"


# --- the model ------------------------------------------------------------------------------------


def _splink_comparison(comparison: Any) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {"sql_condition": comparison.null_sql(), "label_for_charts": "null", "is_null_level": True}
    ]
    levels += [
        {
            "sql_condition": level.sql,
            "label_for_charts": level.label,
            "m_probability": level.m,
            "u_probability": level.u,
            "fix_u_probability": level.fixed_u,
        }
        for level in comparison.levels
    ]
    return {"output_column_name": comparison.name, "comparison_levels": levels}


def settings() -> dict[str, Any]:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": PRIOR_MATCH_PROBABILITY,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for _key, rule in blocking_rules()
        ],
        "comparisons": [_splink_comparison(c) for c in comparisons()],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": ["kind", *(f"count__{c}" for c in FREQUENCY_COLUMNS)],
    }


def trained_parameters(linker: Any) -> dict[str, list[tuple[float, float]]]:
    """The m and u probabilities of each comparison's levels after training (null level out)."""
    model = linker.misc.save_model_to_json()
    found: dict[str, list[tuple[float, float]]] = {}
    for comparison in model["comparisons"]:
        found[comparison["output_column_name"]] = [
            (float(level["m_probability"]), float(level["u_probability"]))
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]
    return found


# --- running it -----------------------------------------------------------------------------------


@dataclass
class Pair:
    a: int
    b: int
    kind: str
    probability: float
    weight: float
    agreed: list[str]


@dataclass
class FinderResult:
    customers: int
    pairs_compared: int
    pairs: list[Pair]
    timings: dict[str, float] = field(default_factory=dict)
    # Of ``pairs_to_check``, how many blocking compared (benchmarks: what blocking lost).
    checked_blocked: int = 0
    # Trained m, u by comparison and level; empty when the priors were used.
    parameters: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


GAMMAS = COMPARED


def _agreed(row: dict[str, Any]) -> list[str]:
    """The fields whose comparison spoke for a match (a positive match weight)."""
    return [name for name in GAMMAS if (row.get(f"mw_{name}") or 0) > 0]


# (comparison, level index, frequency column) of each level with a term frequency.
FREQUENCY_LEVELS = tuple(
    (c.name, index, level.frequency)
    for c in comparisons()
    for index, level in enumerate(c.levels)
    if level.frequency is not None
)


def _term_frequency(row: dict[str, Any], parameters: Parameters, customers: int) -> None:
    """Lower ``row``'s match weight where the pair agrees on a value other customers hold more
    often than u says (``kehu.dedup.model.term_frequency_u``): the share is the other customers
    holding it, ``(count - 1) / customers``. It only ever lowers a weight, so it is applied to
    the pairs at or above the threshold.

    splink keeps a level's weight, not the level (its ``gamma_`` column only comes with every
    compared column of both sides), so the level is the one of that weight. The levels of one
    comparison have different weights; were two equal, the first would be taken."""
    for name, index, column in FREQUENCY_LEVELS:
        m, u = parameters[name][index]
        if not math.isclose(row[f"mw_{name}"] or 0.0, weight(m, u), rel_tol=1e-9, abs_tol=1e-9):
            continue
        share = (row[f"count__{column}_l"] - 1) / customers
        if share > u:
            lowered = weight(m, share) - weight(m, u)
            row[f"mw_{name}"] += lowered
            row["match_weight"] += lowered


def find_duplicates(
    *,
    threshold: float = DEFAULT_THRESHOLD,
    table: pa.Table | None = None,
    progress: Progress | None = None,
    train: bool = True,
    pairs_to_check: list[tuple[int, int]] | None = None,
) -> FinderResult:
    """Score the blocked pairs of the archive (or of ``table``) and return those whose match
    weight is at least ``threshold``, with the time each stage took."""
    from splink import DuckDBAPI, Linker

    def report(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    spill = django_settings.DATA_DIR / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dedup-", dir=spill) as folder:
        source = "kehu_records"
        if table is None:
            total = Customer.objects.live().count()
            if total >= READ_APART_FROM and not connection.in_atomic_block:
                source = _read_apart(folder, total, report)
            else:
                table = records_table(progress=report, total=total)
        con = _duckdb(folder)  # after the readers' fork: none of its threads in them
        if table is not None:
            con.register(source, table)
            del table  # DuckDB reads it until the keyed copy is made
        timings["load"] = time.perf_counter() - started

        report("block", 0)
        started = time.perf_counter()
        count = _with_capped_keys(con, source)
        if count < 2:
            con.close()
            return FinderResult(customers=count, pairs_compared=0, pairs=[], timings=timings)
        pairs_compared = _block(con)
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register("kehu_customers"), settings(), log_level=logging.WARNING)
        linker.table_management.register_blocked_pairs_for_predict(db_api.register("kehu_blocked"))
        checked = _count_blocked(db_api, "kehu_blocked", pairs_to_check or [])
        timings["block"] = time.perf_counter() - started

        started = time.perf_counter()
        parameters: dict[str, list[tuple[float, float]]] = {}
        if train and count >= TRAIN_FROM:
            report("train", 0)
            linker.training.estimate_u_using_random_sampling(max_pairs=min(2e6, count * 20), seed=1)
            parameters = trained_parameters(linker)
        timings["train"] = time.perf_counter() - started

        report("score", 0)
        started = time.perf_counter()
        predictions = linker.inference.predict(
            threshold_match_weight=threshold, warning_mode="never"
        )
        columns = [
            "unique_id_l",
            "unique_id_r",
            "kind_l AS kind",
            "match_probability",
            "match_weight",
        ]
        columns += [f"mw_{name}" for name in GAMMAS]
        columns += [f"count__{c}_l" for c in FREQUENCY_COLUMNS]
        names = [column.rsplit(" ", 1)[-1] for column in columns]
        found = db_api.duckdb_con.execute(
            f"SELECT {', '.join(columns)} FROM {predictions.physical_name}"  # noqa: S608
        ).fetchall()
        pairs = []
        for values in found:
            row = dict(zip(names, values, strict=True))
            if parameters:
                _term_frequency(row, parameters, count)
                if row["match_weight"] < threshold:
                    continue
            a, b = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
            pairs.append(
                Pair(
                    a=a,
                    b=b,
                    kind=row["kind"] or "",
                    probability=probability(row["match_weight"]),
                    weight=float(row["match_weight"]),
                    agreed=_agreed(row),
                )
            )
        timings["score"] = time.perf_counter() - started
        db_api.duckdb_con.close()
    return FinderResult(
        customers=count,
        pairs_compared=pairs_compared,
        pairs=pairs,
        timings=timings,
        checked_blocked=checked,
        parameters=parameters,
    )


def _duckdb(spill_dir: str) -> Any:
    """An in-memory DuckDB that spills to ``spill_dir`` beyond ``MEMORY_LIMIT`` (a million
    customers' blocked pairs and their scores would take several GB)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{spill_dir}'")
    return con


def _with_capped_keys(con: Any, source: str) -> int:
    """The records (``source``: a registered Arrow table or a Parquet reader) as the DuckDB table
    ``kehu_customers``, with each weak blocking rule's key where no more than ``CROWDED``
    customers share it; how many records."""
    keys = capped_keys()
    raw = ", ".join(f'{sql} AS "{column}"' for column, sql in keys)
    con.execute(f"CREATE TEMP TABLE kehu_keyed AS SELECT *, {raw} FROM {source}")  # noqa: S608
    if source == "kehu_records":
        con.unregister(source)
    capped = ", ".join(
        f'CASE WHEN k."{c}" IN (SELECT "{c}" FROM kehu_keyed GROUP BY "{c}" '  # noqa: S608
        f'HAVING count(*) > {CROWDED}) THEN NULL ELSE k."{c}" END AS "{c}"'
        for c, _sql in keys
    )
    # How many customers hold each value of a frequency column (1 where unknown)
    counts = ", ".join(f'coalesce("n_{c}".n, 1) AS "count__{c}"' for c in FREQUENCY_COLUMNS)
    joins = " ".join(
        f'LEFT JOIN (SELECT "{c}" AS v, count(*) AS n FROM kehu_keyed WHERE "{c}" IS NOT NULL '  # noqa: S608
        f'GROUP BY 1 HAVING count(*) > 1) "n_{c}" ON k."{c}" = "n_{c}".v'
        for c in FREQUENCY_COLUMNS
    )
    con.execute(
        f"CREATE TABLE kehu_customers AS SELECT k.* REPLACE ({capped}), {counts} "  # noqa: S608
        f"FROM kehu_keyed k {joins}"
    )
    con.execute("DROP TABLE kehu_keyed")
    return int(con.execute("SELECT count(*) FROM kehu_customers").fetchall()[0][0])


def _block(con: Any) -> int:
    """The pairs to score as the DuckDB table ``kehu_blocked``, in splink's form (``match_key``:
    the first rule that pairs them; ``join_key_l`` < ``join_key_r``); how many.

    The pairs splink's own blocking gives, made otherwise: splink joins the records once per
    rule and drops each pair an earlier rule made by testing every earlier rule on it, which
    carries all their columns through each join (90 s at a million customers, spilling); here
    each rule's join reads only its own columns, and one grouping keeps a pair's first rule."""
    joins = " UNION ALL ".join(
        f"SELECT {n} AS k, l.unique_id AS l, r.unique_id AS r FROM kehu_customers l "  # noqa: S608
        f"JOIN kehu_customers r ON ({sql}) WHERE l.unique_id < r.unique_id"
        for n, (_key, sql) in enumerate(blocking_rules())
    )
    con.execute(
        "CREATE TABLE kehu_blocked AS SELECT CAST(min(k) AS VARCHAR) AS match_key, "  # noqa: S608
        f"l AS join_key_l, r AS join_key_r FROM ({joins}) GROUP BY l, r"
    )
    return int(con.execute("SELECT count(*) FROM kehu_blocked").fetchall()[0][0])


def _count_blocked(db_api: Any, blocked: str, pairs: list[tuple[int, int]]) -> int:
    if not pairs:
        return 0
    ordered = sorted({(min(a, b), max(a, b)) for a, b in pairs})
    check = pa.table({"a": [a for a, _b in ordered], "b": [b for _a, b in ordered]})
    con = db_api.duckdb_con
    con.register("kehu_pairs_to_check", check)
    sql = (
        "SELECT count(*) FROM kehu_pairs_to_check c WHERE EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {blocked} p WHERE least(p.join_key_l, p.join_key_r) = c.a "
        "AND greatest(p.join_key_l, p.join_key_r) = c.b)"
    )
    return int(con.execute(sql).fetchall()[0][0])
