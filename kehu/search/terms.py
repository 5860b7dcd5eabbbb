"""What goes into the search index for one customer, and what a query looks for in it.

Pure functions over plain values, so that the services, the rebuild command and the demo
loader (which never builds model objects) index a customer the same way.

A term is a one-letter namespace and a normalised text. Start namespaces hold a value from its
beginning (a prefix scan finds exact and prefix matches); inner namespaces hold what follows
each later position (a prefix scan there is a substring match):

===== ======================================== =========================================
 ns    holds                                    e.g. for 张伟明 / 13812345678
===== ======================================== =========================================
 A a   name (customer or contact), suffixes     A张伟明, a伟明, a明
 P p   full pinyin from each syllable           Pzhangweiming, pweiming, pming
 J j   initials from each syllable              Jzwm, jwm
 T     phone digits reversed (national part)    T87654321831 (7+ digits typed: also
                                                the start of numbers, from the phone table)
 #     keyed hash of an e-mail / ID / credit    #3f9a…
 G     tag                                      GVIP
 F     searchable custom field value            F红酒
===== ======================================== =========================================
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice, product

from kehu.core.pinyin import has_han, is_han, readings, syllables

# Longest text kept after the namespace. Longer queries match on their first characters and
# are checked against the name afterwards.
TERM_TEXT = 24
HASH_TEXT = 40
MIN_INNER = 2  # a one-letter pinyin substring would match much of the archive
PHONE_PREFIX_DIGITS = 7  # fewer digits are the end of a number only
MAX_READINGS = 8  # readings of a mixed query's Han characters tried (heteronyms: 曾 ceng/zeng)
# Legal forms at the end of company names: nobody searches for "有限公司" inside a name, so no
# substring terms start inside them (the whole name is still a prefix term).
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
START_NAMESPACES = "APJTG#F"

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Lower case, full-width folded, without spaces and punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _core_length(norm: str) -> int:
    for form in LEGAL_FORMS:
        if norm.endswith(form) and len(norm) > len(form):
            return len(norm) - len(form)
    return len(norm)


@lru_cache(maxsize=16_384)
def name_terms(name: str, *, person: bool) -> frozenset[str]:
    """Terms of a customer's or contact's name: text, full pinyin and initials (cached: names
    repeat, 张伟 and 王芳 hundreds of times in a million people)."""
    norm = normalize(name)
    if not norm:
        return frozenset()
    terms = {"A" + norm[:TERM_TEXT]}
    core = _core_length(norm)
    # Every later position, the last character too: one character (伟) finds given names.
    for i in range(1, core):
        terms.add("a" + norm[i : i + TERM_TEXT])
    sounds = syllables(name, person=person)
    if sounds:
        initials = "".join(s[0] for s in sounds)
        terms.add("P" + "".join(sounds)[:TERM_TEXT])
        terms.add("J" + initials[:TERM_TEXT])
        core_sounds = sum(1 for char in norm[:core] if is_han(char))
        for i in range(1, min(len(sounds), core_sounds)):
            terms.add("p" + "".join(sounds[i:])[:TERM_TEXT])
            if len(sounds) - i >= MIN_INNER:
                terms.add("j" + initials[i:][:TERM_TEXT])
    return frozenset(terms)


def phone_digits(e164: str) -> str:
    """The digits people dial: the national number for mainland numbers, else all."""
    digits = e164.lstrip("+")
    return digits[2:] if e164.startswith("+86") else digits


def phone_term(e164: str) -> str:
    return "T" + phone_digits(e164)[::-1]


def exact_value(value: str, *, email: bool = False) -> str:
    """The form of an e-mail / ID number / credit code that is hashed."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    return text.lower() if email else text.upper()


def exact_term(value_hash: str) -> str:
    return "#" + value_hash[:HASH_TEXT]


@dataclass
class Indexable:
    """One customer's searchable values, in plain form."""

    customer_id: int
    owner_id: int | None
    team_id: int | None
    person: bool
    name: str
    contacts: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # the customer's own, E.164
    contact_phones: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)  # lookup hashes of exact values
    tags: list[str] = field(default_factory=list)
    custom: list[str] = field(default_factory=list)  # searchable custom field values


Row = tuple[str, int, int, int | None, int | None]  # term, customer, source, owner, team

# Source codes (``SearchTerm.Source``), repeated here so the loader needs no model import.
NAME, CONTACT, PHONE, CONTACT_PHONE, EXACT, TAG, CUSTOM = 1, 2, 3, 4, 5, 6, 7


def rows_for(item: Indexable) -> Iterator[Row]:
    """The index rows of one customer, each (term, source) once."""
    seen: set[str] = set()
    ids = (item.customer_id,)
    scope = (item.owner_id, item.team_id)

    def emit(terms: Iterable[str], source: int) -> Iterator[Row]:
        for term in terms:
            if term not in seen:
                seen.add(term)
                yield (term, *ids, source, *scope)

    yield from emit(name_terms(item.name, person=item.person), NAME)
    for contact in item.contacts:
        yield from emit(name_terms(contact, person=True), CONTACT)
    yield from emit((phone_term(p) for p in item.phones), PHONE)
    yield from emit((phone_term(p) for p in item.contact_phones), CONTACT_PHONE)
    yield from emit((exact_term(h) for h in item.hashes), EXACT)
    yield from emit(("G" + normalize(t)[:TERM_TEXT] for t in item.tags if normalize(t)), TAG)
    yield from emit(("F" + normalize(v)[:TERM_TEXT] for v in item.custom if normalize(v)), CUSTOM)


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One prefix range to scan: terms starting with ``prefix``."""

    prefix: str
    inner: bool = False  # a substring rather than a start match


@dataclass
class Plan:
    probes: list[Probe]
    text: str  # the normalised query
    must_contain: str = ""  # Han characters a mixed query (张w) requires in the name
    exact_only: bool = False
    phone_prefix: str = ""  # the start of phone numbers (E.164) a query of 7+ digits matches


_DIGITS = re.compile(r"[\d\s+\-().]+")


def plan_query(q: str, *, hashes_of: Callable[[str], list[str]]) -> Plan:
    """Which ranges of the index a query scans."""
    raw = unicodedata.normalize("NFKC", q).strip()
    text = normalize(raw)
    if not text:
        return Plan([], "")
    if "@" in raw:
        hashes = hashes_of(exact_value(raw, email=True))
        return Plan([Probe(exact_term(h)) for h in hashes], text, exact_only=True)
    upper = text.upper()
    if len(upper) in (15, 18) and re.fullmatch(r"[0-9A-Z]+", upper) and not upper.isdigit():
        # an ID number ending in X, or a credit code
        return Plan([Probe(exact_term(h)) for h in hashes_of(upper)], text, exact_only=True)
    if _DIGITS.fullmatch(raw):
        digits = re.sub(r"\D", "", raw)
        probes = []
        if len(digits) == 18 or len(digits) == 15:
            probes += [Probe(exact_term(h)) for h in hashes_of(digits)]  # an ID number
        phone_prefix = ""
        if len(digits) >= 4:
            national = digits[2:] if raw.lstrip().startswith(("+86", "0086")) else digits
            if national.startswith("0086"):
                national = national[4:]
            if national.startswith("0") and len(national) >= 10:
                national = national[1:]  # 010-12345678: trunk prefix
            probes.append(Probe("T" + national[::-1]))
            if len(digits) >= PHONE_PREFIX_DIGITS:
                phone_prefix = "+86" + national.removeprefix("0")
        return Plan(probes, text, phone_prefix=phone_prefix)
    probes = [Probe("G" + text[:TERM_TEXT]), Probe("F" + text[:TERM_TEXT])]
    han = has_han(text)
    latin = any("a" <= char <= "z" for char in text)
    if han and latin:
        # 张w: the pinyin of the Han characters followed by the letters, e.g. zhangw / zw, for
        # every reading of the characters (曾w: zengw as a surname, cengw otherwise).
        must = "".join(c for c in text if is_han(c))
        probes.append(Probe("A" + text[:TERM_TEXT]))
        choices = [readings(c) or ("",) if is_han(c) else (c,) for c in text]
        for sounds in islice(product(*choices), MAX_READINGS):
            full = "".join(sounds)
            initials = "".join(sound[:1] for sound in sounds)
            probes += [
                Probe("P" + full[:TERM_TEXT]),
                Probe("J" + initials[:TERM_TEXT]),
                Probe("p" + full[:TERM_TEXT], inner=True),
            ]
        return Plan(list(dict.fromkeys(probes)), text, must_contain=must)
    probes.append(Probe("A" + text[:TERM_TEXT]))
    if latin:
        probes += [Probe("J" + text[:TERM_TEXT]), Probe("P" + text[:TERM_TEXT])]
    if len(text) >= MIN_INNER or han:  # one Han character: given names too
        probes.append(Probe("a" + text[:TERM_TEXT], inner=True))
        if latin:
            probes += [
                Probe("j" + text[:TERM_TEXT], inner=True),
                Probe("p" + text[:TERM_TEXT], inner=True),
            ]
    return Plan(probes, text)
