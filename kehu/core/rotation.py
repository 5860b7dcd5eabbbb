"""``kehu keys rotate``: every encrypted value re-encrypted under the first field key and every
lookup hash recomputed under the first lookup key, in chunks, while Kehu keeps serving.

Procedure (docs/operations.md): put the new keys *first* in the configuration, keeping the old
ones after them, and restart Kehu — from then on it writes under the new keys and reads and
looks up under all of them. Then run the rotation. Each chunk is one short transaction and
writes a row only if it is unchanged since it was read (a concurrent edit is already under the
new key), so nothing a user writes meanwhile is lost. Progress is kept in ``core_keyrotation``:
an interrupted run resumes at its last chunk. When it finishes, the old keys' canaries go and
the old keys may be removed from the configuration.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from kehu.core import keys
from kehu.core.audit import audit_log
from kehu.core.encryption import _fernet, private_file
from kehu.core.models import AuditEvent, KeyCanary, KeyRotation

CHUNK = 500
Row = tuple[Any, ...]


@dataclass
class Step:
    name: str
    table: str
    pk: str
    total: Callable[[], int]
    # From a cursor (the last id done; for files, how many are done): the next cursor and the
    # rows looked at, or (-1, 0) when the step is over.
    run: Callable[[int], tuple[int, int]]


class Rotator:
    def __init__(self) -> None:
        self.first = Fernet(keys.field_keys()[0].encode())
        self.all = _fernet()
        self.lookup = keys.lookup_write_key()

    # --- values ---------------------------------------------------------------------------

    def token(self, value: str) -> str:
        """``value`` (a Fernet token) under the first key; unchanged if it already is."""
        if not value:
            return value
        try:
            self.first.decrypt(value.encode())
        except InvalidToken:
            return self.all.rotate(value.encode()).decode()
        return value

    def clear(self, value: str) -> str:
        return self.all.decrypt(value.encode()).decode() if value else ""

    def hash(self, clear: str) -> str:
        return keys.keyed_hash(self.lookup, clear)

    # --- chunks ---------------------------------------------------------------------------

    def rows(
        self, table: str, pk: str, columns: list[str], after: int, where: str = ""
    ) -> list[Row]:
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in [pk, *columns])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {names} FROM {quote(table)} WHERE {quote(pk)} > %s {where} "  # noqa: S608
                f"ORDER BY {quote(pk)} LIMIT %s",
                [after, CHUNK],
            )
            return list(cursor.fetchall())

    def write(self, table: str, pk: str, row: Row, new: dict[str, str], columns: list[str]) -> bool:
        """Update the row if its columns still hold what was read; whether it did."""
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(c)} = %s" for c in new)
        same = " AND ".join(f"{quote(c)} = %s" for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(table)} SET {sets} WHERE {quote(pk)} = %s AND {same}",  # noqa: S608
                [*new.values(), row[0], *row[1:]],
            )
            return bool(cursor.rowcount)

    def rewrite(
        self,
        table: str,
        pk: str,
        columns: list[str],
        after: int,
        change: Callable[[Row], dict[str, str]],
        where: str = "",
    ) -> tuple[int, int]:
        """One chunk: rows after ``after`` rewritten by ``change`` (the columns that differ)."""
        rows = self.rows(table, pk, columns, after, where)
        if not rows:
            return -1, 0
        with transaction.atomic():
            for row in rows:
                for _attempt in range(3):
                    new = {c: v for c, v in change(row).items() if v != row[1 + columns.index(c)]}
                    if not new or self.write(table, pk, row, new, columns):
                        break
                    # Changed since it was read: read it again.
                    fresh = self.rows(table, pk, columns, row[0] - 1, f"AND {pk} = {int(row[0])}")
                    if not fresh:
                        break
                    row = fresh[0]
        return int(rows[-1][0]), len(rows)


def _model_step(name: str, model: type[models.Model], columns: list[str], rotator: Rotator) -> Step:
    table, pk = model._meta.db_table, model._meta.pk.column

    def change(row: Row) -> dict[str, str]:
        return {c: rotator.token(v) for c, v in zip(columns, row[1:], strict=True)}

    return Step(
        name,
        table,
        pk,
        total=lambda: model._default_manager.count(),
        run=lambda after: rotator.rewrite(table, pk, columns, after, change),
    )


def _steps(rotator: Rotator) -> list[Step]:
    from kehu.customers.models import Customer, CustomerChange, PersonProfile
    from kehu.dedup.models import Merge

    person_columns = [f.name for f in PersonProfile._meta.concrete_fields if f.name in {
        c for m, c in keys.encrypted_columns() if m is PersonProfile
    }]  # fmt: skip
    person_table, person_pk = PersonProfile._meta.db_table, PersonProfile._meta.pk.column

    def person_change(row: Row) -> dict[str, str]:
        values = dict(zip([*person_columns, "id_number_hash"], row[1:], strict=True))
        new = {c: rotator.token(values[c]) for c in person_columns}
        if values["id_number_hash"] and values["id_number"]:
            new["id_number_hash"] = rotator.hash(rotator.clear(values["id_number"]))
        return new

    change_table, change_pk = CustomerChange._meta.db_table, CustomerChange._meta.pk.column

    def history_change(row: Row) -> dict[str, str]:
        field, old, new, sensitive = row[1:]
        if field == CustomerChange.CREATED:
            entries = json.loads(new)
            rotated = [[f, rotator.token(t) if hidden else t, hidden] for f, t, hidden in entries]
            if rotated == entries:
                return {}
            return {"new_value": CustomerChange.creation_value([tuple(e) for e in rotated])}
        if not sensitive:
            return {}
        return {"old_value": rotator.token(old), "new_value": rotator.token(new)}

    merge_table, merge_pk = Merge._meta.db_table, Merge._meta.pk.column

    def merge_change(row: Row) -> dict[str, str]:
        token = row[1]
        if not token:
            return {}
        secrets = json.loads(rotator.clear(token))
        for loser_id, values in secrets.get("keys", {}).items():
            if values.get("id_number_hash"):
                number = (
                    PersonProfile.objects.filter(pk=int(loser_id))
                    .values_list("id_number", flat=True)
                    .first()
                )  # decrypted by the field
                if number:
                    values["id_number_hash"] = rotator.hash(number)
        rewritten = json.dumps(secrets, ensure_ascii=False)
        if rewritten == rotator.clear(token) and rotator.token(token) == token:
            return {}
        return {"secrets": rotator.first.encrypt(rewritten.encode()).decode()}

    history_columns = ["field", "old_value", "new_value", "sensitive"]
    return [
        _model_step("customers", Customer, ["custom_sensitive"], rotator),
        Step(
            "people",
            person_table,
            person_pk,
            total=lambda: PersonProfile.objects.count(),
            run=lambda after: rotator.rewrite(
                person_table, person_pk, [*person_columns, "id_number_hash"], after, person_change
            ),
        ),
        Step(
            "history",
            change_table,
            change_pk,
            total=lambda: CustomerChange.objects.count(),
            run=lambda after: rotator.rewrite(
                change_table, change_pk, history_columns, after, history_change
            ),
        ),
        Step(
            "merges",
            merge_table,
            merge_pk,
            total=lambda: Merge.objects.count(),
            run=lambda after: rotator.rewrite(
                merge_table, merge_pk, ["secrets"], after, merge_change
            ),
        ),
        Step(
            "search",
            Customer._meta.db_table,
            "id",
            total=lambda: Customer.objects.count(),
            run=_search_chunk,
        ),
        Step("exports", "", "", total=_export_count, run=_exports_chunk),
    ]


def _search_chunk(after: int) -> tuple[int, int]:
    """Re-index a chunk of customers: their exact terms (hashes of e-mails, ID numbers, credit
    codes) are written under the new lookup key."""
    from kehu.customers.models import Customer
    from kehu.search.services import search_index_update

    ids = list(
        Customer.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:CHUNK]
    )
    if not ids:
        return -1, 0
    with transaction.atomic():
        search_index_update(customer_ids=ids)
    return ids[-1], len(ids)


def _export_files() -> list[Path]:
    folder = settings.DATA_DIR / "exports"
    if not folder.is_dir():
        return []
    # Not a clear file being written (.part) nor one of ours.
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix not in {".part", ".rotating"}
    )


def _export_count() -> int:
    return len(_export_files())


def _exports_chunk(done: int) -> tuple[int, int]:
    """Re-encrypt the next export file (frames of ``encrypt_file``) under the first key."""
    files = _export_files()
    if done >= len(files):
        return -1, 0
    path = files[done]
    fernet, first = _fernet(), Fernet(keys.field_keys()[0].encode())
    partial = path.with_name(path.name + ".rotating")
    changed = False
    try:
        with path.open("rb") as source, private_file(partial) as out:
            while header := source.read(4):
                token = source.read(int.from_bytes(header, "big"))
                try:
                    first.decrypt(token)
                except InvalidToken:
                    token = fernet.rotate(token)  # InvalidToken: a file still being written
                    changed = True
                out.write(len(token).to_bytes(4, "big") + token)
    except (FileNotFoundError, InvalidToken):  # purged meanwhile, or still being written
        partial.unlink(missing_ok=True)
        return done + 1, 1
    if changed:
        partial.replace(path)
    else:
        partial.unlink()
    return done + 1, 1


def rotation_current() -> KeyRotation:
    """The unfinished rotation to the configured first keys, or a new one."""
    field_fp = keys.fingerprint(keys.field_keys()[0])
    lookup_fp = keys.fingerprint(keys.lookup_write_key())
    found = KeyRotation.objects.filter(
        finished_at__isnull=True, field_key=field_fp, lookup_key=lookup_fp
    ).first()
    if found is not None:
        return found
    return KeyRotation.objects.create(field_key=field_fp, lookup_key=lookup_fp)


def keys_rotate(*, progress: Callable[[str, int, int], None] | None = None) -> KeyRotation:
    """Run (or resume) the rotation to the configured first keys; returns its record."""
    keys.canaries_record()
    rotation = rotation_current()
    rotator = Rotator()
    steps = _steps(rotator)
    names = [s.name for s in steps]
    start = names.index(rotation.step) if rotation.step in names else 0
    for step in steps[start:]:
        if rotation.step != step.name:
            rotation.step, rotation.last_id = step.name, 0
            rotation.save(update_fields=["step", "last_id", "updated_at"])
        total = step.total()
        done = int(rotation.done.get(step.name, 0))
        while True:
            cursor, seen = step.run(rotation.last_id)
            if cursor < 0:
                break
            done += seen
            rotation.last_id = cursor
            rotation.done[step.name] = min(done, total)
            rotation.save(update_fields=["last_id", "done", "updated_at"])
            if progress is not None:
                progress(step.name, min(done, total), total)
    _finish(rotation)
    return rotation


def _finish(rotation: KeyRotation) -> None:
    field_fp = keys.fingerprint(keys.field_keys()[0])
    lookup_fp = keys.fingerprint(keys.lookup_write_key())
    with transaction.atomic():
        KeyCanary.objects.filter(purpose=KeyCanary.Purpose.FIELD).exclude(
            fingerprint=field_fp
        ).delete()
        KeyCanary.objects.filter(purpose=KeyCanary.Purpose.LOOKUP).exclude(
            fingerprint=lookup_fp
        ).delete()
        rotation.finished_at = timezone.now()
        rotation.save(update_fields=["finished_at", "updated_at"])
        audit_log(
            action=AuditEvent.Action.KEYS_ROTATED,
            username="kehu keys rotate",
            object_type="key_rotation",
            object_id=rotation.pk,
            detail={"field_key": field_fp, "lookup_key": lookup_fp, "rows": rotation.done},
        )
    keys.forget_state()
