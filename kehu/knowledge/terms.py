"""What goes into the article search index and what a query looks for in it.

Words come from jieba's segmentation (中文分词; English words stay whole), so 退货政策 is found
by 退货 or 政策. Words of the title and the tags also get their pinyin and initials, and so does
the whole title, as in customer search: ``tuihuo``, ``th``, ``thzc`` all find 退货政策.

===== ================================================ =====================
 ns    holds                                            e.g. 退货政策
===== ================================================ =====================
 W     a word (lower case)                              W退货, W政策, Wreturn
 P     full pinyin of a title/tag word or whole title   Ptuihuo, Ptuihuozhengce
 J     initials of a title/tag word or whole title      Jth, Jthzc
===== ================================================ =====================
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import jieba  # type: ignore[import-untyped]

from kehu.core.pinyin import has_han, syllables
from kehu.search.terms import normalize

jieba.setLogLevel(logging.WARNING)

TERM_TEXT = 30
BODY, TAG, TITLE = 1, 2, 3  # ``ArticleTerm.Field``


def words(text: str, *, for_search: bool = True) -> list[str]:
    """The words of ``text``, normalised, in order, without punctuation (repeats kept)."""
    cut = jieba.cut_for_search(text) if for_search else jieba.cut(text)
    result = []
    for token in cut:
        norm = normalize(token)
        if norm and (len(norm) >= 2 or has_han(norm)):
            result.append(norm[:TERM_TEXT])
    return result


def _sounds(text: str) -> Iterator[str]:
    sounds = syllables(text)
    if len(sounds) >= 2:
        yield "P" + "".join(sounds)[:TERM_TEXT]
        yield "J" + "".join(s[0] for s in sounds)[:TERM_TEXT]


@dataclass
class Indexable:
    article_id: int
    title: str
    tags: list[str]
    body: str


def rows_for(item: Indexable) -> Iterator[tuple[str, int, int]]:
    """(term, article, field) for one article, each term once with its highest field."""
    best: dict[str, int] = {}

    def add(term: str, field: int) -> None:
        if best.get(term, 0) < field:
            best[term] = field

    for word in words(item.body):
        add("W" + word, BODY)
    for field, texts in ((TAG, item.tags), (TITLE, [item.title])):
        for text in texts:
            for word in words(text):
                add("W" + word, field)
                for term in _sounds(word):
                    add(term, field)
            for term in _sounds(text):
                add(term, field)
    for term, field in best.items():
        yield term, item.article_id, field


@dataclass(frozen=True)
class Probe:
    prefix: str
    exact: bool  # a whole word rather than a prefix


def plan_query(q: str) -> list[list[Probe]]:
    """One group of probes per query word; an article must match a probe of every group."""
    groups = []
    for word in dict.fromkeys(words(q, for_search=False)):
        if has_han(word):
            groups.append([Probe("W" + word, exact=True)])
        else:
            groups.append([Probe(ns + word, exact=False) for ns in "WPJ"])
    return groups


def needles(q: str) -> list[str]:
    """The literal words of a query, to highlight in snippets."""
    return list(dict.fromkeys(words(q, for_search=False)))
