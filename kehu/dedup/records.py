"""One customer as the duplicate finder sees it: normalised keys of its name, birth date, phones,
e-mail and address, the same for the archive-wide search (``finder``) and the checks at entry
(``entry``), for Chinese and Latin-script data alike.

Nothing here needs a resolved region: names become token sets (family and given name in either
order, spaces or none) and their pinyin; addresses become tokens (full/half width folded,
Chinese numerals as digits, 省/市/区 suffixes and punctuation dropped; Han text as character
pairs, Latin words and numbers as words) with a street key (the street and house number) and a
postcode (a number of 4–6 digits that is not the first one, e.g. ``6 tullaroop street, st james
wa 4011``).
"""

import re
import unicodedata
from datetime import date
from functools import lru_cache
from typing import Any

from kehu.core.pinyin import syllables

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 司徒 东方 皇甫 慕容 令狐 夏侯 公孙 长孙 宇文 尉迟 澹台 端木 独孤 南宫 "
    "西门 轩辕 万俟 钟离 闻人 赫连 呼延 申屠 太史 公羊 百里 东郭 第五".split()
)
# Legal forms a company name is written with or without (longest first); only these go.
COMPANY_SUFFIXES = (
    "集团股份有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "分公司",
    "集团公司", "总公司", "集团", "公司", "股份", "co ltd", "co., ltd.", "company limited",
    "limited", "ltd", "inc", "corp", "corporation", "llc", "gmbh", "pty ltd", "pty",
)  # fmt: skip
# Han characters (the unified ideographs and extensions A–F), as written in a character class
HAN = "\u3400-\u9fff\U00020000-\U0002ffff"
_TOKEN = re.compile(rf"[a-z]+|\d+|[{HAN}]+")
_SUFFIX_RE = re.compile(
    r"(?:[\s(（]*(?:集团)[)）]?\s*)?(?:"
    + "|".join(re.escape(s) for s in sorted(COMPANY_SUFFIXES, key=len, reverse=True))
    + r")[\s.,]*$"
)
_NUMERALS = str.maketrans("〇零一二三四五六七八九", "00123456789")
# Region suffixes dropped from address tokens (广东省 / 广东 alike), and the words around a
# house number (号 / 號, 弄, 栋…) that people write or leave out.
_ADDRESS_NOISE = re.compile(r"(?<=[" + HAN + r"])[省市区县镇乡村]|[号號栋幢单元室楼层弄]")
PHONE_HALF = 6
# E-mail names shared by strangers (a shop's info@, a company's sales@): not a key of anyone.
GENERIC_MAILBOXES = frozenset(
    "info sales service services admin contact office support hr mail email kefu marketing "
    "postmaster webmaster noreply no-reply hello enquiries inquiry account accounts finance "
    "billing team business market shop store order orders help".split()
)


def fold(text: str) -> str:
    """Full-width folded, lower case, 號 as 号."""
    return unicodedata.normalize("NFKC", text or "").lower().replace("號", "号").strip()


def tokens(text: str) -> list[str]:
    """Latin words, numbers and runs of Han characters, in order."""
    return _TOKEN.findall(fold(text))


def company_core(name: str) -> str:
    """A company name without its legal form, keeping Latin letters and digits:
    ABC科技有限公司 → abc科技, 华泰（集团）有限公司 → 华泰, Acme Pty Ltd → acme."""
    text = fold(name)
    core = _SUFFIX_RE.sub("", text)
    core = re.sub(r"[(（]集团[)）]$", "", core.strip())
    return "".join(tokens(core)) or "".join(tokens(text))


@lru_cache(maxsize=200_000)
def _han_parts(text: str, *, person: bool) -> tuple[str, str]:
    """(family name, given name) of a Han name; compound surnames (欧阳, 司马…) kept whole."""
    if not person or len(text) < 2:
        return "", text
    cut = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:cut], text[cut:]


@lru_cache(maxsize=200_000)
def _reading(text: str, *, person: bool) -> str:
    return "".join(syllables(text, person=person)) or text


@lru_cache(maxsize=200_000)
def name_keys(name: str, *, person: bool) -> dict[str, str | None]:
    """Name keys: ``name_key`` (the tokens, sorted for people: family and given name in either
    order), ``name_py`` (the same in pinyin: 张伟 and 章伟 both zhangwei), ``family`` (pinyin of
    the family name, or a Latin name's last word), ``initial`` (the given name's first letter)."""
    if not person:
        core = company_core(name)
        reading = "".join(_reading(t, person=False) for t in _TOKEN.findall(core))
        return {"name_key": core or None, "name_py": reading or None, "family": None,
                "initial": None}  # fmt: skip
    parts = tokens(name)
    if not parts:
        return {"name_key": None, "name_py": None, "family": None, "initial": None}
    if len(parts) == 1 and re.match(f"[{HAN}]", parts[0]):
        family, given = _han_parts(parts[0], person=True)
        family_py = _reading(family, person=True) if family else ""
        given_py = _reading(given, person=False)
        return {
            "name_key": parts[0],
            "name_py": family_py + given_py,
            "family": family_py or None,
            "initial": given_py[:1] or None,
        }
    readings = [_reading(p, person=i == 0) for i, p in enumerate(parts)]
    return {
        "name_key": "".join(sorted(parts)),
        "name_py": "".join(sorted(readings)),
        "family": readings[-1] if len(readings) > 1 else None,
        "initial": readings[0][:1] if len(readings) > 1 else readings[0][:1],
    }


def name_pinyin(name: str, *, person: bool) -> str:
    """Toneless pinyin of a name (张伟 → zhangwei); Latin letters and digits kept."""
    return name_keys(name, person=person)["name_py"] or ""


# Not cached, unlike the names: addresses rarely repeat (0.6% of a million customers').
def address_keys(
    address: str, province: str = "", city: str = "", district: str = ""
) -> dict[str, Any]:
    """``street_key`` (the street and house number: 青年路837号, 6 tullaroop), ``postcode``
    and ``address_tokens`` (a set: Han text as character pairs, Latin words and numbers)."""
    text = fold(address)
    # the region first, as written: 三亚市 is not 3亚市
    for part in (fold(province), fold(city), fold(district)):
        if part and text.startswith(part):
            text = text[len(part) :]
    text = text.translate(_NUMERALS)
    words = _TOKEN.findall(text)
    numbers = [i for i, w in enumerate(words) if w.isdigit()]
    postcode = None
    if len(numbers) > 1 or (numbers and numbers[0] > 0):
        last = words[numbers[-1]]
        if 4 <= len(last) <= 6 and numbers[-1] > 0:
            postcode = last
    street = None
    han = "".join(w for w in words if not w.isascii())
    house = text.find("号")
    if han and house > 0:
        street = _ADDRESS_NOISE.sub("", re.sub(r"[^\w]", "", text[: house + 1]))
    elif numbers and numbers[0] + 1 < len(words):
        street = f"{words[numbers[0]]} {words[numbers[0] + 1]}"
    elif words and not han:
        street = " ".join(words[:2])
    pieces: set[str] = set()
    for word in words:
        if word == postcode:
            continue
        if word.isascii():
            pieces.add(word)
        else:
            plain = _ADDRESS_NOISE.sub("", word)  # 号 alone: nothing
            pieces.update(plain[i : i + 2] for i in range(max(1, len(plain) - 1)) if plain)
    return {"street_key": street or None, "postcode": postcode,
            "address_tokens": sorted(pieces) or None}  # fmt: skip


def phone_digits(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _mailbox(mail: str | None) -> str | None:
    """The name part of an e-mail address, unless it is a generic one (info@, sales@…)."""
    if not mail or "@" not in mail:
        return None
    local = mail.split("@", 1)[0]
    return None if local in GENERIC_MAILBOXES else local


def customer_record(
    *,
    customer_id: int,
    kind: str,
    name: str,
    province: str = "",
    city: str = "",
    district: str = "",
    address: str = "",
    birth_date: date | str | None = None,
    id_hash: str = "",
    employer: str = "",
    credit_code: str = "",
    phones: list[str] | None = None,
    emails: list[str] | None = None,
) -> dict[str, Any]:
    """The finder's row for one customer (``None`` for what is unknown)."""
    person = kind == "person"
    numbers = [phone_digits(p) for p in phones or [] if phone_digits(p)]
    first = numbers[0] if numbers else ""
    mail = fold(emails[0]) if emails else None
    birth = str(birth_date) if birth_date else None
    return {
        "unique_id": customer_id,
        "kind": kind,
        "name": name,
        **name_keys(name, person=person),
        "birth_date": birth,
        "birth_year": birth[:4] if birth else None,
        "phones": numbers or None,
        "phone1": numbers[0] if numbers else None,
        "phone2": numbers[1] if len(numbers) > 1 else None,
        "phone_head": first[:PHONE_HALF] if len(first) >= 2 * PHONE_HALF - 2 else None,
        "phone_tail": first[-PHONE_HALF:] if len(first) >= 2 * PHONE_HALF - 2 else None,
        "email": mail,
        "email_local": _mailbox(mail),
        "id_hash": id_hash or None,
        "credit_code": credit_code or None,
        "province": province or None,
        "city": city or None,
        "district": district or None,
        **address_keys(address or "", province or "", city or "", district or ""),
        "employer": company_core(employer) or None if employer else None,
    }
