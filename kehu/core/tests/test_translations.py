"""The Simplified Chinese catalogue is complete, well-formed, and what Django actually serves.

Refresh the catalogue with ``scripts/messages.sh`` after adding strings, translate the new
entries, then ``kehu compiletranslations``.
"""

import io
import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real

PO_PATH = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"

# printf-style placeholders as Python's % operator reads them: %(name)s, %s, %d, %.2f …
PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]")
# str.format placeholders, checked for entries flagged python-brace-format: {name}, {0} …
BRACE = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing: run scripts/messages.sh"
    return polib.pofile(str(PO_PATH))


def entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def placeholders(text: str, entry: polib.POEntry) -> Counter[str]:
    found = Counter(m for m in PRINTF.findall(text) if m != "%%")
    if "python-brace-format" in entry.flags:
        found.update(BRACE.findall(text))
    return found


def translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def test_header(catalogue):
    assert catalogue.metadata.get("Language") == "zh_Hans"
    assert catalogue.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert catalogue.metadata.get("Content-Type") == "text/plain; charset=UTF-8"
    assert not catalogue.metadata_is_fuzzy, "remove '#, fuzzy' from the header"


def test_catalogue_is_not_empty(catalogue):
    assert len(entries(catalogue)) > 50


def test_every_entry_is_translated(catalogue):
    untranslated = [e.msgid for e in entries(catalogue) if not all(translations(e))]
    assert not untranslated, f"untranslated entries: {untranslated}"


def test_no_fuzzy_entries(catalogue):
    fuzzy = [e.msgid for e in entries(catalogue) if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries (review, then drop the flag): {fuzzy}"


def test_no_obsolete_entries(catalogue):
    obsolete = [e.msgid for e in catalogue.obsolete_entries()]
    assert not obsolete, f"obsolete entries (scripts/messages.sh drops them): {obsolete}"


def test_plurals_have_exactly_one_form(catalogue):
    # Chinese has one plural form: msgstr[0] only.
    wrong = [e.msgid for e in entries(catalogue) if e.msgid_plural and len(e.msgstr_plural) != 1]
    assert not wrong, f"plural entries without exactly msgstr[0]: {wrong}"


def test_placeholders_are_kept(catalogue):
    problems = []
    for e in entries(catalogue):
        sources = [e.msgid, e.msgid_plural] if e.msgid_plural else [e.msgid]
        expected: Counter[str] = Counter()
        for source in sources:
            expected |= placeholders(source, e)
        for text in translations(e):
            if placeholders(text, e) != expected:
                problems.append((e.msgid, text))
    assert not problems, f"placeholders differ between msgid and msgstr: {problems}"


@pytest.fixture
def fresh_translations():
    """Compile the catalogues and make Django reload them, before and after the test."""

    def reset() -> None:
        trans_real._translations = {}  # type: ignore[attr-defined]
        trans_real._default = None  # type: ignore[attr-defined]

    call_command("compiletranslations", stdout=io.StringIO())
    reset()
    yield
    reset()


@pytest.mark.usefixtures("fresh_translations")
def test_django_serves_the_compiled_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Sign out") == "退出登录"
        assert translation.ngettext("%(n)s customer", "%(n)s customers", 3) % {"n": 3} == (
            "3 位客户"
        )
    with translation.override("en"):
        assert translation.gettext("Sign out") == "Sign out"
