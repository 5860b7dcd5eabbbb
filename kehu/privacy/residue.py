"""Finding a person's values anywhere: every text column of every table, read through the
database, and every file under the data directory.

Used to prove an erasure (the tests) and by ``kehu privacy scan`` to check one by hand. Each
value is looked for in the forms it may be stored in: as typed, escaped inside JSON text,
reversed (phone numbers in the search index), as a keyed lookup hash (e-mails, ID numbers,
credit codes), as pinyin (names in the search index), inside Fernet-encrypted values
(decrypted), inside encrypted files (decrypted) and inside zip/XLSX files (each member).
"""

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models

from kehu.core.encryption import decrypted_chunks
from kehu.customers.values import lookup_hash
from kehu.privacy.erasure import decrypt_tokens
from kehu.search.terms import exact_value

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


@dataclass(frozen=True)
class Residue:
    where: str  # "table.column #pk" or a file path
    value: str  # the value found (as given)
    form: str  # how it was found: clear, json, reversed, hash, pinyin, decrypted


def stored_forms(value: str) -> list[tuple[str, str]]:
    """(form name, text) of every form ``value`` may be stored in."""
    forms = [("clear", value), ("json", json.dumps(value)[1:-1])]
    digits = value.lstrip("+")
    if digits.isdigit() and len(digits) >= 7:
        national = digits[2:] if value.startswith("+86") else digits
        forms.append(("reversed", national[::-1]))
    if len(value) >= 6:
        for hashed in {value, exact_value(value), exact_value(value, email=True)}:
            forms.append(("hash", lookup_hash(hashed)[:24]))
    if any("\u4e00" <= ch <= "\u9fff" for ch in value):
        from kehu.core.pinyin import syllables

        spelled = "".join(syllables(value, person=True))
        if len(spelled) >= 6:
            forms.append(("pinyin", spelled))
    return [(name, text) for name, text in forms if text]


def _text_columns() -> Iterator[tuple[type[models.Model], list[Any]]]:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if fields:
            yield model, fields


def scan_database(values: Iterable[str]) -> list[Residue]:
    """Every row of every table whose text columns hold one of ``values`` in any stored form,
    including inside encrypted values."""
    wanted = [(value, stored_forms(value)) for value in values if value]
    found: list[Residue] = []
    with connection.cursor() as cursor:
        for model, fields in _text_columns():
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(model._meta.pk.column)
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            cursor.execute(f"SELECT {pk}, {columns} FROM {table}")  # noqa: S608 (names from _meta)
            for row in cursor.fetchall():
                for field, raw in zip(fields, row[1:], strict=True):
                    if raw is None:
                        continue
                    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
                    where = f"{model._meta.db_table}.{field.column} #{row[0]}"
                    found.extend(_matches(where, text, wanted))
    return found


def _matches(
    where: str, text: str, wanted: list[tuple[str, list[tuple[str, str]]]]
) -> list[Residue]:
    found = []
    clear_inside = decrypt_tokens(text) if "gAAAAA" in text else []
    for value, forms in wanted:
        for form, needle in forms:
            if needle in text:
                found.append(Residue(where, value, form))
                break
            if any(needle in inner for inner in clear_inside):
                found.append(Residue(where, value, f"decrypted {form}"))
                break
    return found


def _file_texts(path: Path) -> Iterator[tuple[str, bytes]]:
    data = path.read_bytes()
    yield "", data
    try:
        clear = b"".join(decrypted_chunks(path))
    except Exception:
        clear = b""
    if clear:
        yield " (decrypted)", clear
    for label, content in (("", data), (" (decrypted)", clear)):
        if content.startswith(b"PK"):
            try:
                with zipfile.ZipFile(io.BytesIO(content)) as archive:
                    for name in archive.namelist():
                        yield f"{label} [{name}]", archive.read(name)
            except (zipfile.BadZipFile, OSError, ValueError):
                continue


def scan_files(values: Iterable[str], root: Path | None = None) -> list[Residue]:
    """Every file under the data directory (or ``root``) that holds one of ``values``."""
    root = root or Path(settings.DATA_DIR)
    wanted = [(value, stored_forms(value)) for value in values if value]
    found: list[Residue] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for label, content in _file_texts(path):
            for value, forms in wanted:
                for form, needle in forms:
                    encoded = needle.encode()
                    if encoded in content or needle.encode("utf-16-le") in content:
                        found.append(Residue(f"{path}{label}", value, form))
                        break
    return found
