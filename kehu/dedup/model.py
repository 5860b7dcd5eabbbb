"""The duplicate model: which pairs are compared (blocking) and how each field's agreement
weighs (Fellegi–Sunter levels with m and u probabilities).

Each agreement level is written twice, side by side: as SQL for splink on DuckDB (the
archive-wide search, ``finder``) and as Python (the checks at entry, ``entry``, a handful of
candidates per form); ``tests/test_model.py`` checks that both give every pair the same weight.

A pair's **match weight** is log2 of the prior odds plus, for each field known on both sides,
log2 m/u of the level the pair meets. The prior is fixed
(``PRIOR_MATCH_PROBABILITY``), not scaled with the archive, so the same evidence has the same
weight in an archive of a thousand customers or a million, and the threshold is a weight.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop
from jellyfish import damerau_levenshtein_distance, jaro_winkler_similarity, levenshtein_distance

from kehu.dedup.records import HAN

# The prior odds that two records are one customer: that of an archive of 100,000 customers of
# which 2% were entered twice (2,000 pairs among 5·10⁹), whatever the archive's size.
PRIOR_MATCH_PROBABILITY = 4e-7
PRIOR_WEIGHT = math.log2(PRIOR_MATCH_PROBABILITY / (1 - PRIOR_MATCH_PROBABILITY))
# Pairs at or above this match weight are candidates. Examples (bench/RESULTS.md): one phone in
# common and nothing else known ≈ -6.6; the same name and birth date alone ≈ 0.
DEFAULT_THRESHOLD = -8.0

Record = dict[str, Any]
Test = Callable[[Record, Record], bool]


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    test: Test
    m: float
    u: float
    # u stays the prior when the archive is trained: random pairs are rarely two companies, so
    # a sample of them says little about how often two firms share a name.
    fixed_u: bool = False
    # Term frequency: the column whose value the two agree on. In a trained model the share of
    # the archive holding that value is u's floor: 张伟 held by 80 customers in a million says
    # less than the average name (u), a name held by one other says no more than the average.
    frequency: str | None = None


@dataclass(frozen=True)
class Comparison:
    name: str
    needs: tuple[str, ...]  # unknown on either side: the comparison says nothing
    levels: tuple[Level, ...]
    # Pairs it says nothing about either (SQL, Python), e.g. the region of two companies, whose
    # names carry their city already (counting both would count one fact twice).
    unless: tuple[str, Test] | None = None

    def silent(self, x: Record, y: Record) -> bool:
        if any(x[c] is None or y[c] is None for c in self.needs):
            return True
        return self.unless is not None and self.unless[1](x, y)

    def null_sql(self) -> str:
        parts = [f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in self.needs]
        if self.unless is not None:
            parts.append(f"({self.unless[0]})")
        return " OR ".join(parts)


COMPANIES = ("\"kind_l\" = 'organization'", lambda x, y: x["kind"] == "organization")


def _same(column: str) -> Test:
    return lambda x, y: x[column] is not None and x[column] == y[column]


def _sql_same(column: str) -> str:
    return f'"{column}_l" = "{column}_r"'


def same(column: str, label: str, m: float, u: float, *, frequency: bool = False) -> Level:
    return Level(
        label, _sql_same(column), _same(column), m, u, frequency=column if frequency else None
    )


def otherwise(m: float, u: float) -> Level:
    return Level("else", "ELSE", lambda x, y: True, m, u)


# Jaro–Winkler on the whole pinyin of two Chinese names mostly measures their family name (the
# first letters weigh most): 黄刚刚 and 黄翔艳 score above 0.8, 赵建 and 赵娟秀 above 0.92, and
# 重庆东方咨询 and 重庆东方电子 (two firms of one brand) too. Between Chinese names "similar" is
# one character apart and "related" the same family name and given-name initial.
_HAN_NAME = re.compile(f"[{HAN}]")
HAN_NAMES_SQL = (
    f"regexp_matches(\"name_key_l\", '[{HAN}]') AND regexp_matches(\"name_key_r\", '[{HAN}]')"
)


def _both_han(x: Record, y: Record) -> bool:
    return bool(_HAN_NAME.search(x["name_key"]) and _HAN_NAME.search(y["name_key"]))


def _one_char_apart(x: Record, y: Record) -> bool:
    """Of one length, at most 4, and one character apart: for two strings of one length
    Levenshtein ≤ 1 is one position that differs. Longer names are companies', where one
    character is often the city (郑州百盛机械, 徐州百盛机械)."""
    a, b = x["name_key"], y["name_key"]
    if len(a) != len(b) or len(a) > 4:
        return False
    return sum(p != q for p, q in zip(a, b, strict=True)) <= 1  # type: ignore[no-any-return]


def _name_similar(x: Record, y: Record) -> bool:
    if _one_char_apart(x, y):
        return True
    return not _both_han(x, y) and jaro_winkler_similarity(x["name_py"], y["name_py"]) >= 0.92


def _name_related(x: Record, y: Record) -> bool:
    if not _both_han(x, y) and jaro_winkler_similarity(x["name_py"], y["name_py"]) >= 0.8:
        return True
    same_family = x["family"] is not None and x["family"] == y["family"]
    return same_family and x["initial"] is not None and x["initial"] == y["initial"]


def _date_typo(x: Record, y: Record) -> bool:
    a, b = x["birth_date"], y["birth_date"]
    if damerau_levenshtein_distance(a, b) <= 1:
        return True
    return bool(a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7])


def jaccard(a: list[str], b: list[str]) -> float:
    union = len(set(a) | set(b))
    return len(set(a) & set(b)) / union if union else 0.0


_JACCARD_SQL = (
    'len(list_intersect("address_tokens_l", "address_tokens_r")) / '
    'len(list_distinct(list_concat("address_tokens_l", "address_tokens_r")))'
)


def _tokens_overlap(at_least: float) -> tuple[str, Test]:
    return (
        f"{_JACCARD_SQL} >= {at_least}",
        lambda x, y: jaccard(x["address_tokens"], y["address_tokens"]) >= at_least,
    )


def _in_one_city(level: tuple[str, Test]) -> tuple[str, Test]:
    """``level`` where the two cities are the same or one is unknown."""
    sql, test = level
    return (
        f'({sql}) AND ("city_l" IS NULL OR "city_r" IS NULL OR "city_l" = "city_r")',
        lambda x, y: (
            (x["city"] is None or y["city"] is None or x["city"] == y["city"]) and test(x, y)
        ),
    )


def _phone_typo(x: Record, y: Record) -> bool:
    a, b = x["phone1"], y["phone1"]
    return len(a) == len(b) and levenshtein_distance(a, b) <= 1


# DuckDB's levenshtein counts bytes (贾丽琪 and 贾杰琪 are 3 apart): positions are compared instead.
ONE_CHAR_APART_SQL = (
    'length("name_key_l") = length("name_key_r") AND len(list_filter(range(1, '
    'length("name_key_l") + 1), lambda i: substr("name_key_l", i, 1) <> substr("name_key_r", i, '
    "1))) <= 1"
)
NAME_SIMILAR_SQL = (
    f'(length("name_key_l") <= 4 AND {ONE_CHAR_APART_SQL}) OR (NOT ({HAN_NAMES_SQL}) AND '
    'jaro_winkler_similarity("name_py_l", "name_py_r") >= 0.92)'
)
NAME_RELATED_SQL = (
    f'(NOT ({HAN_NAMES_SQL}) AND jaro_winkler_similarity("name_py_l", "name_py_r") >= 0.8) '
    'OR ("family_l" = "family_r" AND "initial_l" = "initial_r")'
)
DATE_TYPO_SQL = (
    'damerau_levenshtein("birth_date_l", "birth_date_r") <= 1 OR '
    '(substr("birth_date_l", 1, 4) = substr("birth_date_r", 1, 4) AND '
    'substr("birth_date_l", 6, 2) = substr("birth_date_r", 9, 2) AND '
    'substr("birth_date_l", 9, 2) = substr("birth_date_r", 6, 2))'
)
PHONE_TYPO_SQL = (
    'length("phone1_l") = length("phone1_r") AND levenshtein("phone1_l", "phone1_r") <= 1'
)


def comparisons() -> tuple[Comparison, ...]:
    """The fields compared, each with its agreement levels and prior m / u probabilities."""
    return (
        Comparison(
            "name",
            ("name_key", "name_py"),
            (
                # A company's name alone (two branches, two firms of one name) is no more a
                # duplicate than a person's name alone.
                Level(
                    gettext_noop("same company name"),
                    f"{COMPANIES[0]} AND {_sql_same('name_key')}",
                    lambda x, y: COMPANIES[1](x, y) and _same("name_key")(x, y),
                    0.35,
                    0.0008,
                    fixed_u=True,
                    frequency="name_key",
                ),
                same("name_key", gettext_noop("same name"), 0.70, 0.0008, frequency=True),
                same(
                    "name_py", gettext_noop("same pinyin (homophone)"), 0.12, 0.002, frequency=True
                ),
                Level(
                    gettext_noop("similar name (typo)"), NAME_SIMILAR_SQL, _name_similar, 0.10, 0.01
                ),
                Level(gettext_noop("related name"), NAME_RELATED_SQL, _name_related, 0.05, 0.05),
                otherwise(0.03, 0.937),
            ),
        ),
        Comparison(
            "phone",
            ("phones",),
            (
                Level(
                    gettext_noop("a phone in common"),
                    'list_has_any("phones_l", "phones_r")',
                    lambda x, y: bool(set(x["phones"]) & set(y["phones"])),
                    0.80,
                    1e-6,
                ),
                Level(
                    gettext_noop("phone one digit apart"), PHONE_TYPO_SQL, _phone_typo, 0.05, 1e-5
                ),
                otherwise(0.15, 1 - 1e-6 - 1e-5),
            ),
        ),
        Comparison(
            "email",
            ("email",),
            (
                same("email", gettext_noop("same e-mail"), 0.75, 1e-6, frequency=True),
                same("email_local", gettext_noop("same e-mail name"), 0.08, 1e-4),
                otherwise(0.17, 1 - 1e-6 - 1e-4),
            ),
        ),
        Comparison(
            "id_number",
            ("id_hash",),
            # Two people share an ID number only by a typing error: about one pair in 10⁹.
            (
                same("id_hash", gettext_noop("same ID number"), 0.99, 1e-9),
                otherwise(0.01, 1 - 1e-9),
            ),
        ),
        Comparison(
            "credit_code",
            ("credit_code",),
            (
                same("credit_code", gettext_noop("same credit code"), 0.99, 1e-8),
                otherwise(0.01, 1 - 1e-8),
            ),
        ),
        Comparison(
            "birth_date",
            ("birth_date",),
            (
                same("birth_date", gettext_noop("same birth date"), 0.85, 0.0003),
                Level(
                    gettext_noop("birth date one typo apart"),
                    DATE_TYPO_SQL,
                    _date_typo,
                    0.10,
                    0.003,
                ),
                otherwise(0.05, 0.9967),
            ),
        ),
        Comparison(
            "address",
            ("address_tokens",),
            (
                # 民主路67号 in two cities is two addresses (a similar one is still said)
                Level(
                    gettext_noop("same street address"),
                    *_in_one_city((_sql_same("street_key"), _same("street_key"))),
                    0.65,
                    0.0005,
                ),
                Level(gettext_noop("similar address"), *_tokens_overlap(0.6), 0.15, 0.002),
                Level(gettext_noop("partly similar address"), *_tokens_overlap(0.3), 0.10, 0.02),
                otherwise(0.10, 0.9775),
            ),
        ),
        Comparison(
            "postcode",
            ("postcode",),
            (same("postcode", gettext_noop("same postcode"), 0.85, 0.003), otherwise(0.15, 0.997)),
        ),
        Comparison(
            "region",
            ("city",),
            (
                Level(
                    gettext_noop("same district"),
                    '"city_l" = "city_r" AND "district_l" = "district_r"',
                    lambda x, y: x["city"] == y["city"] and _same("district")(x, y),
                    0.88,
                    0.004,
                ),
                same("city", gettext_noop("same city"), 0.07, 0.02),
                otherwise(0.05, 0.976),
            ),
            unless=COMPANIES,
        ),
        Comparison(
            "employer",
            ("employer",),
            (same("employer", gettext_noop("same employer"), 0.80, 0.002), otherwise(0.20, 0.998)),
        ),
    )


COMPARED = tuple(c.name for c in comparisons())


# A weak key (a name's reading, a family name, a birth date, a street: anything but an
# identifier) shared by more customers than this is too common to compare all its pairs: at a
# million customers 王 + j + 1985 holds ~70 people, 2,400 pairs of strangers; that rule alone
# gave 15.5 of 18.8 million pairs and no duplicate the other rules missed (bench/RESULTS.md).
# The same cap as the import's check within a file.
CROWDED = 20


@dataclass(frozen=True)
class BlockingRule:
    key: str  # the rule as people read it (splink's match_key)
    columns: tuple[str, ...]  # equal on both sides
    condition: str = ""  # and this too (SQL on ``l`` and ``r``)
    # an identifier: compared whatever the number sharing it, else capped at CROWDED
    identifier: bool = False

    @property
    def capped_column(self) -> str | None:
        """The column holding the rule's key where its bucket is not crowded (else null)."""
        return None if self.identifier else "block__" + "__".join(self.columns)

    def sql(self) -> str:
        if self.capped_column:
            parts = [f'l."{self.capped_column}" = r."{self.capped_column}"']
        else:
            parts = [f'l."{c}" = r."{c}"' for c in self.columns]
        return " AND ".join([*parts, *filter(None, [self.condition]), 'l."kind" = r."kind"'])


def _rule(key: str, *columns: str, condition: str = "", identifier: bool = False) -> BlockingRule:
    return BlockingRule(key, columns, condition, identifier)


RULES = (
    _rule("phone", "phone1", identifier=True),
    _rule("phone", condition='l."phone1" = r."phone2"', identifier=True),
    _rule("phone", condition='l."phone2" = r."phone1"', identifier=True),
    _rule("phone_head", "phone_head", "family"),
    _rule("phone_tail", "phone_tail", "family"),
    _rule("id_number", "id_hash", identifier=True),
    _rule("credit_code", "credit_code", identifier=True),
    _rule("email", "email", identifier=True),
    _rule("email_name", "email_local", condition='length(l."email_local") >= 5', identifier=True),
    _rule("company_name", "name_key", condition="l.\"kind\" = 'organization'", identifier=True),
    _rule("name_birth_date", "name_key", "birth_date", identifier=True),
    _rule("family_initial_birth_year", "family", "initial", "birth_year"),
    _rule("name_birth_date", "name_py", "birth_year"),
    _rule("name_postcode", "name_py", "postcode"),
    _rule("name_region", "name_py", "city"),
    _rule("name_street", "name_py", "street_key"),
    _rule("street_family", "street_key", "family"),
    _rule("street_birth_date", "street_key", "birth_date"),
    _rule("postcode_birth_date", "postcode", "birth_date"),
    _rule("postcode_family_initial", "postcode", "family", "initial"),
    _rule("street_name", "street_key", "initial"),
    _rule("initial_birth_date", "initial", "birth_date"),
    _rule("family_birth_date", "family", "birth_date"),
    _rule("street_postcode", "street_key", "postcode"),
)


def blocking_rules() -> list[tuple[str, str]]:
    """(key, SQL) of the pairs compared: those sharing one of these keys (same kind). None
    needs a resolved region. A weak key is read from its capped column (``capped_keys``)."""
    return [(rule.key, rule.sql()) for rule in RULES]


def capped_keys() -> list[tuple[str, str]]:
    """(column, SQL) of each weak rule's key over a table of the finder's records: its parts and
    the kind, null where a part is unknown. The finder keeps it where at most ``CROWDED``
    customers share it."""
    found = []
    for rule in RULES:
        if rule.capped_column is not None:
            known = " AND ".join(f'"{c}" IS NOT NULL' for c in rule.columns)
            parts = ", ".join(f'"{c}"' for c in ("kind", *rule.columns))
            found.append(
                (rule.capped_column, f"CASE WHEN {known} THEN concat_ws(chr(31), {parts}) END")
            )
    return found


def weight(m: float, u: float) -> float:
    return math.log2(m / u)


def probability(match_weight: float) -> float:
    odds = math.pow(2.0, match_weight)
    return odds / (1 + odds)


@dataclass
class Score:
    weight: float
    evidence: list[tuple[str, str, float]]  # (comparison, level label, its weight)

    @property
    def probability(self) -> float:
        return probability(self.weight)

    @property
    def agreed(self) -> list[str]:
        return [name for name, _label, w in self.evidence if w > 0]


# Estimated m, u by comparison and level.
Parameters = dict[str, list[tuple[float, float]]]
# The share of the archive holding a value of a column: ``shares(column, value)``, None if unknown.
Shares = Callable[[str, Any], float | None]
FREQUENCY_COLUMNS = ("name_key", "name_py", "email")


def term_frequency_u(level: Level, u: float, value: Any, shares: Shares | None) -> float:
    """``u`` of ``level`` for two records agreeing on ``value``: at least the share of the
    archive holding it, in a trained model (``shares``), when the level has a frequency."""
    if shares is None or level.frequency is None:
        return u
    share = shares(level.frequency, value)
    return u if share is None else max(u, share)


def score(
    left: Record,
    right: Record,
    parameters: Parameters | None = None,
    shares: Shares | None = None,
) -> Score:
    """The match weight of two records, with each field's level (the Python twin of splink's
    scoring and the finder's term-frequency step; ``parameters`` are estimated m, u per
    comparison and level, else the priors; ``shares`` the archive's, with ``parameters``)."""
    total = PRIOR_WEIGHT
    evidence = []
    for comparison in comparisons():
        if comparison.silent(left, right):
            continue
        for index, level in enumerate(comparison.levels):
            if level.test(left, right):
                m, u = level.m, level.u
                if parameters and comparison.name in parameters:
                    m, u = parameters[comparison.name][index]
                if level.frequency is not None:
                    u = term_frequency_u(level, u, left[level.frequency], shares)
                w = weight(m, u)
                total += w
                evidence.append((comparison.name, level.label, w))
                break
    return Score(weight=total, evidence=evidence)
