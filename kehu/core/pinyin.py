"""Pinyin of Chinese names for search: full syllables (zhang wei) and initials (z w).

``pypinyin`` reads whole phrases (银行 → yin hang) but costs ~70 µs for a three-character
name, too slow for indexing a million customers. Most characters have one toneless reading, so
those are looked up per character; only a text with a character of several toneless readings
(行, 长, 重…) goes through ``pypinyin``, and its answer is cached. A surname is read as a
surname (曾 → zeng, 单 → shan), which pypinyin's phrase reading gets wrong.
"""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PINYIN_DICT
from pypinyin.style import convert

# Surnames whose reading differs from the character's first reading.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha",
    "盖": "ge", "乐": "yue", "覃": "qin", "缪": "miao", "翟": "zhai", "召": "shao", "尉": "yu",
    "万": "wan", "柏": "bai", "秘": "bi", "长": "chang", "重": "chong", "种": "chong",
}  # fmt: skip


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0002ffff"


@lru_cache(maxsize=30_000)
def _readings(char: str) -> tuple[str, ...]:
    """The toneless readings of one Han character, most common first (empty if unknown)."""
    raw = PINYIN_DICT.get(ord(char))
    if not raw:
        return ()
    readings: list[str] = []
    for reading in raw.split(","):
        plain = convert(reading, Style.NORMAL, strict=True)
        if plain and plain not in readings:
            readings.append(plain)
    return tuple(readings)


@lru_cache(maxsize=100_000)
def _phrase(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


def syllables(text: str, *, person: bool = False) -> list[str]:
    """One syllable per Han character of ``text`` (other characters are dropped).

    With ``person``, the first character is read as a surname.
    """
    han = [char for char in text if _is_han(char)]
    if not han:
        return []
    readings = [_readings(char) for char in han]
    if all(len(r) == 1 for r in readings):
        result = [r[0] for r in readings]
    else:
        phrase = list(_phrase("".join(han)))
        result = phrase if len(phrase) == len(han) else [r[0] if r else "" for r in readings]
    if person and han[0] in SURNAME_READINGS:
        result[0] = SURNAME_READINGS[han[0]]
    return [s for s in result if s]


def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of a Han character, its surname reading included (曾: ceng and
    zeng), for a query that may be read either way."""
    surname = SURNAME_READINGS.get(char)
    found = _readings(char)
    return found if surname is None or surname in found else (*found, surname)


def romanized(text: str) -> str:
    """``text`` with its Han characters as toneless pinyin, words apart, the rest as it is
    (双十一大促 2026 → "shuang shi yi da cu 2026"): for codes and file names from a name."""
    return " ".join(lazy_pinyin(text, style=Style.NORMAL))


def has_han(text: str) -> bool:
    return any(_is_han(char) for char in text)


def is_han(char: str) -> bool:
    return _is_han(char)
