"""Markdown to safe HTML: markdown-it-py (CommonMark, raw HTML off) and then nh3's allow-list,
so neither a ``<script>`` in the text nor a ``javascript:`` link survives."""

import re
from functools import lru_cache

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


@lru_cache(maxsize=2048)
def _render(text: str) -> str:
    return nh3.clean(
        _md.render(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def render_markdown(text: str) -> SafeString:
    """The article body as HTML that is safe to put in a page."""
    return mark_safe(_render(text))  # noqa: S308  (cleaned by nh3 above)


_MARKUP = re.compile(r"[`*_#>|~\[\]()!-]+")


def plain_text(text: str) -> str:
    """The body without Markdown markup, for snippets."""
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", text)).strip()


def highlight(text: str, needles: list[str], *, width: int = 120) -> SafeString:
    """A snippet of ``text`` around the first needle, every needle wrapped in ``<mark>``."""
    lower = text.lower()
    hits = [(lower.find(n.lower()), n) for n in needles if n and n.lower() in lower]
    start = 0
    if hits:
        first = min(pos for pos, _ in hits)
        start = max(0, first - width // 3)
    snippet = text[start : start + width]
    html = str(escape(snippet))
    for needle in sorted({n for _, n in hits}, key=len, reverse=True):
        html = re.sub(
            re.escape(escape(needle)), lambda m: f"<mark>{m.group(0)}</mark>", html, flags=re.I
        )
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + html + suffix)  # noqa: S308  (escaped above)
