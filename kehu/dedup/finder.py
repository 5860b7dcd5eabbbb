"""The duplicate finder: every live customer compared with its likely twins by splink on DuckDB.

Why splink: it is the maintained Fellegi–Sunter implementation (UK Ministry of Justice) whose
model, blocking and training are SQL run by DuckDB here and by Spark at scale, so a million
customers are compared in minutes without a hand-written probabilistic model. Kehu supplies what
is Chinese about the data: pinyin of names (张伟 and 章伟 both read zhang wei), company names
without their legal suffix (有限公司…), E.164 phones.

Stages: ``load`` reads customers in id-ordered chunks through the Django connection into a
pyarrow table (nothing is downloaded: no DuckDB extension is used); ``block`` lists the pairs
sharing a blocking key; ``train`` estimates the model (below); ``score`` predicts and keeps the
pairs at or above the threshold.

Training: the m and u probabilities are fixed priors (below) from what re-entered records
look like, and the prior match probability is fixed too (``PRIOR_MATCH_PROBABILITY``), whatever
the archive's size: a prior that shrank with the archive (more strangers to collide with) gave
the same evidence a lower probability in a larger archive, so one threshold found fewer of the
same duplicates as the archive grew (F1 0.977 at 100,000 customers, 0.963 at 1,000,000 at 0.5).
With the prior fixed, a threshold is a fixed amount of evidence (a sum of match weights).
splink's ``estimate_u_using_random_sampling`` is available (``train=True``,
``kehu dedup find --train``) but not the default: on the generated 100,000-customer benchmark
it cost ~50 s on the shared 2-core machine and made precision worse (it learns from random
pairs that same-name-same-district is rare, and the demo data's many same-named companies are
not), and EM over blocked pairs was unstable for the same reason. The priors are scale-free
and deterministic, so tests and the review queue give the same answer each run.
"""

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa
from django.db import connection
from pypinyin import Style
from pypinyin.constants import PINYIN_DICT
from pypinyin.style import convert

from kehu.core.pinyin import SURNAME_READINGS, is_han
from kehu.customers.models import Customer, Email, OrganizationProfile, PersonProfile, Phone

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
CHUNK = 50_000
# The model's prior that two records are the same customer: that of an archive of 100,000
# customers of which 2% were entered twice (2,000 pairs among 5·10⁹), for archives of any size.
PRIOR_MATCH_PROBABILITY = 4e-7

# Legal-form suffixes and words a company name is written with or without (longest first).
COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "分公司",
    "集团公司", "总公司", "集团", "公司", "股份", "（集团）", "(集团)",
)  # fmt: skip
_SUFFIX_RE = re.compile(
    "(" + "|".join(re.escape(s) for s in sorted(COMPANY_SUFFIXES, key=len, reverse=True)) + ")+$"
)
_SPACE_RE = re.compile(r"[\s·・.,，。()（）]+")

Progress = Callable[[str, int], None]


def company_core(name: str) -> str:
    """A company name without spaces, brackets and legal suffixes (鼎信商贸有限公司 → 鼎信商贸)."""
    text = _SPACE_RE.sub("", name.strip())
    core = _SUFFIX_RE.sub("", text)
    return core or text


@lru_cache(maxsize=30_000)
def _reading(char: str) -> str:
    """The first toneless reading of a Han character ("" if it has none)."""
    raw = PINYIN_DICT.get(ord(char))
    if not raw:
        return ""
    return str(convert(raw.split(",")[0], Style.NORMAL, strict=True))


def name_pinyin(name: str, *, person: bool) -> str:
    """Toneless pinyin of the Han characters, no spaces (张伟 → zhangwei); else the lower name.

    Each character's first reading, not the phrase reading search uses: a million names go
    through here, and two spellings that sound alike must read alike, which they do.
    """
    han = [char for char in name if is_han(char)]
    if not han:
        return _SPACE_RE.sub("", name.lower())
    readings = [_reading(char) or char for char in han]
    if person and han[0] in SURNAME_READINGS:
        readings[0] = SURNAME_READINGS[han[0]]
    return "".join(readings)


def address_key(address: str, province: str, city: str, district: str) -> str:
    """The street address without the region and what follows the house number:
    江苏省南京市鼓楼区青年路837号1单元 → 青年路837号 (号 and 號 alike)."""
    text = unicodedata.normalize("NFKC", address or "").replace("號", "号").strip()
    for part in (province, city, district):
        if part and text.startswith(part):
            text = text[len(part) :]
    number = text.find("号")
    return text[: number + 1] if number > 0 else text


# --- reading the archive ------------------------------------------------------------------------

SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("kind", pa.string()),
        ("name", pa.string()),
        ("name_core", pa.string()),
        ("name_py", pa.string()),
        ("org_core", pa.string()),
        ("phones", pa.list_(pa.string())),
        ("phone1", pa.string()),
        ("phone2", pa.string()),
        ("email", pa.string()),
        ("id_hash", pa.string()),
        ("credit_code", pa.string()),
        ("birth_date", pa.string()),
        ("province", pa.string()),
        ("city", pa.string()),
        ("district", pa.string()),
        ("address", pa.string()),
        ("address_key", pa.string()),
        ("employer", pa.string()),
    ]
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
            f"WHERE c.id > %s AND c.status IN ('active', 'public_pool') "
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
    chunk: int,
) -> Iterator[tuple[list[tuple[Any, ...]], dict[int, list[str]], dict[int, list[str]]]]:
    sql = _sql()
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql["customers"], [last, chunk])
            rows = cursor.fetchall()
        if not rows:
            return
        low, high = rows[0][0], rows[-1][0]
        yield rows, _grouped(sql["phones"], low, high), _grouped(sql["emails"], low, high)
        last = high


def records_table(
    *, progress: Progress | None = None, total: int = 0, chunk: int = CHUNK
) -> pa.Table:
    """Every live customer (active or in the public pool) as one row of the finder's input."""
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    pinyin_cache: dict[tuple[str, bool], str] = {}
    employers: dict[str, str] = {}
    done = 0
    for rows, phones, emails in _chunks(chunk):
        for (
            cid,
            kind,
            name,
            province,
            city,
            district,
            address,
            birth,
            id_hash,
            employer,
            credit,
        ) in rows:
            person = kind == Customer.Kind.PERSON
            core = name.strip() if person else company_core(name)
            key = (core, person)
            reading = pinyin_cache.get(key)
            if reading is None:
                reading = pinyin_cache[key] = name_pinyin(core, person=person)
            numbers = phones.get(cid, [])
            columns["unique_id"].append(cid)
            columns["kind"].append(kind)
            columns["name"].append(name)
            columns["name_core"].append(_none(core))
            columns["name_py"].append(_none(reading))
            columns["org_core"].append(None if person else _none(core))
            columns["phones"].append(numbers or None)
            columns["phone1"].append(numbers[0] if numbers else None)
            columns["phone2"].append(numbers[1] if len(numbers) > 1 else None)
            mails = emails.get(cid)
            columns["email"].append(mails[0].lower() if mails else None)
            columns["id_hash"].append(_none(id_hash))
            columns["credit_code"].append(_none(credit))
            columns["birth_date"].append(str(birth) if birth else None)
            columns["province"].append(_none(province))
            columns["city"].append(_none(city))
            columns["district"].append(_none(district))
            columns["address"].append(_none(address))
            columns["address_key"].append(_none(address_key(address, province, city, district)))
            if employer:
                core_employer = employers.get(employer)
                if core_employer is None:
                    core_employer = employers[employer] = company_core(employer)
                columns["employer"].append(core_employer)
            else:
                columns["employer"].append(None)
        done += len(rows)
        if progress is not None:
            progress("load", min(99, round(100 * done / total)) if total else 0)
    return pa.table(columns, schema=SCHEMA)


# --- the model ------------------------------------------------------------------------------------


def _level(sql: str, label: str, m: float, u: float, *, null: bool = False) -> dict[str, Any]:
    if null:
        return {"sql_condition": sql, "label_for_charts": label, "is_null_level": True}
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


def _null(column: str) -> dict[str, Any]:
    return _level(f'"{column}_l" IS NULL OR "{column}_r" IS NULL', "null", 1.0, 1.0, null=True)


def _else(m: float, u: float) -> dict[str, Any]:
    return _level("ELSE", "else", m, u)


def _exact(column: str, label: str, m: float, u: float) -> dict[str, Any]:
    return _level(f'"{column}_l" = "{column}_r"', label, m, u)


def comparisons() -> list[dict[str, Any]]:
    """The fields compared, each with its agreement levels and prior m / u probabilities."""
    return [
        {
            "output_column_name": "name",
            "comparison_levels": [
                _null("name_core"),
                _exact("name_core", "same name", 0.70, 0.0008),
                _exact("name_py", "same pinyin (homophone)", 0.12, 0.002),
                _level(
                    'jaro_winkler_similarity("name_py_l", "name_py_r") >= 0.9 '
                    'OR (length("name_core_l") = length("name_core_r") '
                    'AND damerau_levenshtein("name_core_l", "name_core_r") <= 1)',
                    "similar (typo)",
                    0.12,
                    0.02,
                ),
                _else(0.06, 0.977),
            ],
        },
        {
            "output_column_name": "phone",
            "comparison_levels": [
                _null("phones"),
                # Strangers share a number rarely (a family's or a shop's phone): one pair in 10⁶.
                _level('list_has_any("phones_l", "phones_r")', "a phone in common", 0.80, 1e-6),
                _else(0.20, 1 - 1e-6),
            ],
        },
        {
            "output_column_name": "email",
            "comparison_levels": [
                _null("email"),
                _exact("email", "same e-mail", 0.75, 0.000001),
                _else(0.25, 0.999999),
            ],
        },
        {
            "output_column_name": "id_number",
            "comparison_levels": [
                _null("id_hash"),
                # Two people share an ID number only by a typing error: about one pair in 10⁹.
                _exact("id_hash", "same ID number", 0.99, 1e-9),
                _else(0.01, 1 - 1e-9),
            ],
        },
        {
            "output_column_name": "credit_code",
            "comparison_levels": [
                _null("credit_code"),
                _exact("credit_code", "same credit code", 0.99, 1e-8),
                _else(0.01, 1 - 1e-8),
            ],
        },
        {
            "output_column_name": "birth_date",
            "comparison_levels": [
                _null("birth_date"),
                _exact("birth_date", "same birth date", 0.92, 0.0003),
                _else(0.08, 0.9997),
            ],
        },
        {
            "output_column_name": "address",
            "comparison_levels": [
                _null("address_key"),
                _exact("address_key", "same street address", 0.75, 0.0002),
                _level(
                    'damerau_levenshtein("address_l", "address_r") <= 4',
                    "similar address",
                    0.10,
                    0.003,
                ),
                _else(0.15, 0.9968),
            ],
        },
        {
            "output_column_name": "region",
            "comparison_levels": [
                _null("city"),
                _level(
                    '"city_l" = "city_r" AND "district_l" = "district_r"',
                    "same district",
                    0.88,
                    0.004,
                ),
                _exact("city", "same city", 0.07, 0.02),
                _else(0.05, 0.976),
            ],
        },
        {
            "output_column_name": "employer",
            "comparison_levels": [
                _null("employer"),
                _exact("employer", "same employer", 0.80, 0.002),
                _else(0.20, 0.998),
            ],
        },
    ]


def blocking_rules() -> list[str]:
    """Pairs compared: those sharing at least one of these keys (same kind of customer)."""
    same_kind = ' AND l."kind" = r."kind"'
    rules = [
        'l."phone1" = r."phone1"',
        'l."phone1" = r."phone2"',
        'l."phone2" = r."phone1"',
        'l."id_hash" = r."id_hash"',
        'l."credit_code" = r."credit_code"',
        'l."email" = r."email"',
        'l."name_py" = r."name_py" AND l."city" = r."city"',
        'l."org_core" = r."org_core"',
        'l."birth_date" = r."birth_date" AND l."city" = r."city"',
        'l."address_key" = r."address_key" AND l."city" = r."city"',
    ]
    return [rule + same_kind for rule in rules]


# Which rule found a pair (splink's ``match_key``), as the blocking key people read.
BLOCKING_KEYS = (
    "phone",
    "phone",
    "phone",
    "id_number",
    "credit_code",
    "email",
    "name_pinyin_region",
    "company_name",
    "birth_date_region",
    "street_address_region",
)


def settings() -> dict[str, Any]:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": PRIOR_MATCH_PROBABILITY,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules()
        ],
        "comparisons": comparisons(),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": ["kind"],
    }


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


GAMMAS = (
    "name", "phone", "email", "id_number", "credit_code", "birth_date", "address", "region",
    "employer",
)  # fmt: skip


def _agreed(row: dict[str, Any]) -> list[str]:
    """The fields whose comparison spoke for a match (a positive match weight)."""
    return [name for name in GAMMAS if (row.get(f"mw_{name}") or 0) > 0]


def find_duplicates(
    *,
    threshold: float = DEFAULT_THRESHOLD,
    table: pa.Table | None = None,
    progress: Progress | None = None,
    train: bool = False,
    pairs_to_check: list[tuple[int, int]] | None = None,
) -> FinderResult:
    """Score the blocked pairs of the archive (or of ``table``) and return those at or above
    ``threshold``, with the time each stage took."""
    from splink import DuckDBAPI, Linker

    def report(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    if table is None:
        total = Customer.objects.filter(
            status__in=[Customer.Status.ACTIVE, Customer.Status.PUBLIC_POOL]
        ).count()
        table = records_table(progress=report, total=total)
    timings["load"] = time.perf_counter() - started
    count = table.num_rows
    if count < 2:
        return FinderResult(customers=count, pairs_compared=0, pairs=[], timings=timings)

    report("block", 0)
    started = time.perf_counter()
    db_api = DuckDBAPI()
    records = db_api.register(table, table_name="kehu_customers")
    linker = Linker(records, settings(), log_level=logging.WARNING)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pairs_compared = int(
        db_api.duckdb_con.execute(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0]  # noqa: S608
    )
    linker.table_management.register_blocked_pairs_for_predict(blocked)
    checked = _count_blocked(db_api, blocked.physical_name, pairs_to_check or [])
    timings["block"] = time.perf_counter() - started

    started = time.perf_counter()
    if train:
        report("train", 0)
        linker.training.estimate_u_using_random_sampling(max_pairs=min(2e6, count * 4), seed=1)
    timings["train"] = time.perf_counter() - started

    report("score", 0)
    started = time.perf_counter()
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, warning_mode="never"
    )
    columns = ["unique_id_l", "unique_id_r", "kind_l AS kind", "match_probability", "match_weight"]
    columns += [f"mw_{name}" for name in GAMMAS]
    names = [column.rsplit(" ", 1)[-1] for column in columns]
    found = db_api.duckdb_con.execute(
        f"SELECT {', '.join(columns)} FROM {predictions.physical_name}"  # noqa: S608
    ).fetchall()
    pairs = []
    for values in found:
        row = dict(zip(names, values, strict=True))
        a, b = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
        pairs.append(
            Pair(
                a=a,
                b=b,
                kind=row["kind"] or "",
                probability=float(row["match_probability"]),
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
    )


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
