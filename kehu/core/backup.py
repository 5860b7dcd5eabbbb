# Over 500 lines: the backup file's format is written (backup_write) and read (backup_verify,
# backup_restore) in this one module, so the writer and the reader cannot drift apart.
"""Backup and restore of a whole archive: the database, the data directory's files, a manifest.

A backup is one tar file::

    manifest.json              what is inside, with the SHA-256 and size of every file
    database/kehu.sqlite3      SQLite: a consistent copy by SQLite's online backup API
    database/kehu.pgdump       PostgreSQL: ``pg_dump --format=custom``
    files/media/…              uploaded files, export files (already encrypted), import files
    keys/…                     only with ``include_key``: the field-encryption and lookup keys
                               and Django's secret key

With a passphrase, the tar is encrypted: ``KEHUBAK1``, a 16-byte salt, then frames (4-byte
length + Fernet token of up to 1 MiB) under a key derived with scrypt, ending with an empty
frame so a cut-off file is noticed. The field-encryption key is never in the file unless asked
for: whoever holds the backup and the key reads every ID number.
"""

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.utils import timezone

from kehu.core.encryption import private_file

FORMAT = "kehu-backup"
VERSION = 1
MAGIC = b"KEHUBAK1"
FRAME = 1 << 20
# The data directory's folders of files that belong to the archive. The database, its WAL, the
# task queue and the cache are not copied as files (the database is copied by its own tool).
FILE_FOLDERS = ("media", "exports", "imports")
KEY_FILES = ("field_encryption_key", "field_lookup_key", "secret_key")
SQLITE_MEMBER = "database/kehu.sqlite3"
PG_MEMBER = "database/kehu.pgdump"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    size: int
    files: int
    encrypted: bool
    manifest: dict[str, Any] = field(default_factory=dict)


# --- encryption of the whole file -----------------------------------------------------------


def _passphrase_key(passphrase: str, salt: bytes) -> Fernet:
    if len(passphrase) < 8:
        raise BackupError("The passphrase is too short: use at least 8 characters.")
    raw = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def _encrypt_stream(source: IO[bytes], out: IO[bytes], passphrase: str) -> None:
    salt = os.urandom(16)
    fernet = _passphrase_key(passphrase, salt)
    out.write(MAGIC + salt)
    while chunk := source.read(FRAME):
        token = fernet.encrypt(chunk)
        out.write(len(token).to_bytes(4, "big") + token)
    end = fernet.encrypt(b"")
    out.write(len(end).to_bytes(4, "big") + end)


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _decrypt_to(path: Path, out: IO[bytes], passphrase: str) -> None:
    with path.open("rb") as source:
        source.read(len(MAGIC))
        fernet = _passphrase_key(passphrase, source.read(16))
        ended = False
        while header := source.read(4):
            token = source.read(int.from_bytes(header, "big"))
            try:
                chunk = fernet.decrypt(token)
            except InvalidToken:
                raise BackupError(
                    "The passphrase is wrong, or the backup file is damaged."
                ) from None
            if not chunk:
                ended = True
                break
            out.write(chunk)
        if not ended or source.read(1):
            raise BackupError("The backup file is cut off or has extra data: it is damaged.")


# --- writing ----------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(FRAME):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_snapshot(source: sqlite3.Connection | str, target: Path) -> None:
    """A consistent copy by SQLite's online backup API: one step, under one read transaction,
    so writers carry on (WAL) and the copy is the database as of one moment."""
    own = isinstance(source, str)
    src = sqlite3.connect(source, timeout=30) if isinstance(source, str) else source
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        if own:
            src.close()


def postgres_url(database: dict[str, Any]) -> str:
    from urllib.parse import quote

    user = quote(str(database.get("USER") or ""), safe="")
    password = quote(str(database.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(database['NAME']), safe='')}"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed on this machine, and it is needed for a PostgreSQL "
            f"archive. Install the PostgreSQL client tools of the server's version (Debian/"
            f"Ubuntu: apt install postgresql-client) and run the command again."
        )
    return path


def _pg_dump(database: dict[str, Any], target: Path) -> None:
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    command += ["--file", str(target), "--dbname", postgres_url(database)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _data_files(data_dir: Path, target: Path) -> Iterator[tuple[Path, str]]:
    for folder in FILE_FOLDERS:
        base = data_dir / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            # not the backup being written, nor its staging folder
            if path.suffix in {".part", ".rotating"}:
                continue  # an export being written (clear text) or re-encrypted
            if path == target or any(
                p.startswith((".kehu-backup-", ".kehu-restore-")) for p in path.parts
            ):
                continue
            if path.is_file() and not path.is_symlink():
                yield path, f"files/{path.relative_to(data_dir).as_posix()}"


def key_fingerprint(key: str) -> str:
    """A short name for a key that reveals nothing of it."""
    return hashlib.sha256(b"kehu-key-fingerprint:" + key.strip().encode()).hexdigest()[:16]


def backup_write(
    *,
    target: Path,
    data_dir: Path,
    database: dict[str, Any],
    sqlite_connection: sqlite3.Connection | None = None,
    passphrase: str | None = None,
    include_key: bool = False,
    keys: dict[str, str] | None = None,
) -> BackupResult:
    """Write a backup of the archive to ``target`` (mode 0600), atomically: a half-written file
    never has the final name.

    ``keys`` (file name → secret) are written only with ``include_key``. ``sqlite_connection``
    copies through an open connection (tests; an in-memory database)."""
    target = target.resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    engine = str(database.get("ENGINE", ""))
    with tempfile.TemporaryDirectory(prefix=".kehu-backup-", dir=target.parent) as work:
        staging = Path(work)
        members: list[tuple[Path, str]] = []
        (staging / "database").mkdir()
        if engine.endswith("sqlite3"):
            snapshot = staging / SQLITE_MEMBER
            _sqlite_snapshot(sqlite_connection or str(database["NAME"]), snapshot)
            members.append((snapshot, SQLITE_MEMBER))
            kind = "sqlite"
        elif engine.endswith("postgresql"):
            dump = staging / PG_MEMBER
            _pg_dump(database, dump)
            members.append((dump, PG_MEMBER))
            kind = "postgresql"
        else:
            raise BackupError(f"Backups of a {engine} database are not supported.")
        members.extend(_data_files(data_dir, target))
        if include_key:
            (staging / "keys").mkdir()
            for name, secret in (keys or {}).items():
                path = staging / "keys" / name
                with private_file(path) as handle:
                    handle.write(secret.encode() + b"\n")
                members.append((path, f"keys/{name}"))
        listed = [
            {"path": name, "size": path.stat().st_size, "sha256": _sha256(path)}
            for path, name in members
        ]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "database": kind,
            "includes_keys": include_key,
            "key_fingerprints": {name: key_fingerprint(v) for name, v in (keys or {}).items()},
            "files": listed,
        }
        manifest_path = staging / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        tar_path = staging / "backup.tar"
        with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(manifest_path, arcname="manifest.json")
            for path, name in members:
                tar.add(path, arcname=name, recursive=False)
        partial = staging / "backup.out"
        if passphrase:
            with tar_path.open("rb") as clear, private_file(partial) as out:
                _encrypt_stream(clear, out, passphrase)
        else:
            tar_path.rename(partial)
            partial.chmod(0o600)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        partial.rename(target)
    return BackupResult(
        path=target,
        size=target.stat().st_size,
        files=len(members),
        encrypted=bool(passphrase),
        manifest=manifest,
    )


# --- restoring --------------------------------------------------------------------------------


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()
    return bool(row[0])


def _postgres_has_tables(database: dict[str, Any]) -> bool:
    import psycopg

    with psycopg.connect(postgres_url(database)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    return bool(row and row[0])


def restore_refusals(*, data_dir: Path, database: dict[str, Any]) -> list[str]:
    """Why the archive at ``data_dir`` / ``database`` is not empty (nothing: it is)."""
    problems = []
    engine = str(database.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        if _sqlite_has_tables(Path(str(database["NAME"]))):
            problems.append(f"the database {database['NAME']} already has tables")
    elif _postgres_has_tables(database):
        problems.append(f"the PostgreSQL database {database['NAME']} already has tables")
    for folder in FILE_FOLDERS:
        base = data_dir / folder
        if base.is_dir() and any(p.is_file() for p in base.rglob("*")):
            problems.append(f"{base} has files")
    return problems


def _read_members(tar: tarfile.TarFile, into: Path) -> dict[str, Path]:
    """Extract regular files with safe relative names only; returns name → path."""
    found: dict[str, Path] = {}
    for member in tar:
        name = member.name
        parts = Path(name).parts
        if not member.isfile() or name.startswith("/") or ".." in parts or not parts:
            raise BackupError(f"The backup holds an unexpected entry {name!r}: it is not Kehu's.")
        if parts[0] not in {"manifest.json", "database", "files", "keys"}:
            raise BackupError(f"The backup holds an unexpected entry {name!r}: it is not Kehu's.")
        path = into.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:
            raise BackupError(f"The backup entry {name!r} cannot be read.")
        with source, private_file(path) as out:
            shutil.copyfileobj(source, out, FRAME)
        found[name] = path
    return found


def backup_verify(*, archive: Path, work: Path, passphrase: str | None) -> dict[str, Any]:
    """Unpack ``archive`` into the folder ``work`` and check it against its manifest; returns
    the manifest. Raises ``BackupError`` on a wrong passphrase, damage or a checksum mismatch."""
    if not archive.is_file():
        raise BackupError(f"There is no backup file at {archive}.")
    tar_path = archive
    if is_encrypted(archive):
        if not passphrase:
            raise BackupError("This backup is encrypted: give its passphrase (--passphrase-file).")
        tar_path = work / "backup.tar"
        with private_file(tar_path) as out:
            _decrypt_to(archive, out, passphrase)
    unpacked = work / "unpacked"
    unpacked.mkdir()
    try:
        with tarfile.open(tar_path, "r:") as tar:
            found = _read_members(tar, unpacked)
    except tarfile.TarError as exc:
        raise BackupError(f"The backup file is not a readable archive ({exc}).") from None
    if tar_path != archive:
        tar_path.unlink()
    if "manifest.json" not in found:
        raise BackupError("The backup has no manifest.json: it is not a Kehu backup.")
    manifest: dict[str, Any] = json.loads(found.pop("manifest.json").read_text())
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("The backup's manifest is not of a format this Kehu reads.")
    listed = {entry["path"]: entry for entry in manifest["files"]}
    if set(listed) != set(found):
        missing = sorted(set(listed) - set(found))
        extra = sorted(set(found) - set(listed))
        raise BackupError(
            f"The backup does not match its manifest (missing {missing}, extra {extra})."
        )
    for name, entry in listed.items():
        path = found[name]
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"Checksum mismatch for {name}: the backup is damaged.")
    manifest["_unpacked"] = str(unpacked)
    return manifest


def backup_restore(
    *, archive: Path, data_dir: Path, database: dict[str, Any], passphrase: str | None = None
) -> dict[str, Any]:
    """Restore ``archive`` into an empty data directory and database; returns the manifest.

    Everything is checked (passphrase, checksums, emptiness) before anything is written."""
    problems = restore_refusals(data_dir=data_dir, database=database)
    if problems:
        raise BackupError(
            "Restore only goes into an empty archive, and this one is not: "
            + "; ".join(problems)
            + ". Point KEHU_DATA_DIR (and DATABASE_URL) at a new, empty place."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kehu-restore-", dir=data_dir) as work:
        manifest = backup_verify(archive=archive, work=Path(work), passphrase=passphrase)
        unpacked = Path(manifest.pop("_unpacked"))
        engine = str(database.get("ENGINE", ""))
        kind = "sqlite" if engine.endswith("sqlite3") else "postgresql"
        if manifest["database"] != kind:
            raise BackupError(
                f"This backup is of a {manifest['database']} archive; the configured database "
                f"is {kind}. Set DATABASE_URL to match."
            )
        for entry in manifest["files"]:
            name = entry["path"]
            source = unpacked / name
            if name.startswith("files/"):
                goal = data_dir / name.removeprefix("files/")
                goal.parent.mkdir(parents=True, exist_ok=True)
                source.rename(goal)
            elif name.startswith("keys/"):
                goal = data_dir / name.removeprefix("keys/")
                if goal.exists() and goal.read_text().strip() != source.read_text().strip():
                    goal.rename(goal.with_name(goal.name + ".before-restore"))
                source.rename(goal)
        if kind == "sqlite":
            goal = Path(str(database["NAME"]))
            for stale in (goal, Path(f"{goal}-wal"), Path(f"{goal}-shm")):
                stale.unlink(missing_ok=True)
            (unpacked / SQLITE_MEMBER).rename(goal)
        else:
            command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
            command += ["--dbname", postgres_url(database), str(unpacked / PG_MEMBER)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    return manifest


# --- the nightly backup -----------------------------------------------------------------------


def backup_name(now: datetime) -> str:
    return f"kehu-{now:%Y%m%d-%H%M%S}.kehubak"


def backups_prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` scheduled backups in ``folder``; returns the deleted."""
    found = sorted(folder.glob("kehu-*.kehubak"))
    doomed = found[: max(len(found) - keep, 0)]
    for path in doomed:
        path.unlink()
    return doomed


# --- with this installation's settings ------------------------------------------------------


def configured_keys() -> dict[str, str]:
    """The secrets a backup made with ``include_key`` carries (file name → value)."""
    from django.conf import settings

    from kehu.core.keys import field_keys

    found = {"field_encryption_key": ",".join(field_keys()), "secret_key": settings.SECRET_KEY}
    if settings.FIELD_LOOKUP_KEYS:
        found["field_lookup_key"] = ",".join(settings.FIELD_LOOKUP_KEYS)
    return found


def backup_create(
    *, target: Path, passphrase: str | None = None, include_key: bool = False
) -> BackupResult:
    """Back up this installation's archive to ``target`` and audit it."""
    from django.conf import settings
    from django.db import connection

    from kehu.core.audit import audit_log
    from kehu.core.models import AuditEvent

    database = dict(settings.DATABASES["default"])
    name = str(connection.settings_dict["NAME"])
    sqlite = str(database["ENGINE"]).endswith("sqlite3")
    in_memory = sqlite and (name in {":memory:", ""} or "mode=memory" in name)
    raw = None
    if in_memory:
        connection.ensure_connection()
        raw = connection.connection
    result = backup_write(
        target=target,
        data_dir=settings.DATA_DIR,
        database=connection.settings_dict if raw is not None else database,
        sqlite_connection=raw,
        passphrase=passphrase,
        include_key=include_key,
        keys=configured_keys(),
    )
    audit_log(
        action=AuditEvent.Action.BACKUP,
        username="kehu backup",
        object_type="backup",
        object_id=target.name[:64],
        detail={"encrypted": result.encrypted, "includes_keys": include_key, "size": result.size},
    )
    return result


def backup_restore_here(*, archive: Path, passphrase: str | None = None) -> dict[str, Any]:
    """Restore ``archive`` into this installation's (empty) data directory and database."""
    from django.conf import settings

    return backup_restore(
        archive=archive,
        data_dir=settings.DATA_DIR,
        database=dict(settings.DATABASES["default"]),
        passphrase=passphrase,
    )


def backup_nightly() -> Path:
    """The scheduled backup into ``KEHU_BACKUP_DIR``, keeping the newest ``KEHU_BACKUP_KEEP``."""
    from django.conf import settings

    config: dict[str, Any] = settings.KEHU_BACKUP
    folder = Path(str(config["dir"]))
    folder.mkdir(parents=True, exist_ok=True)
    passphrase = read_passphrase(str(config["passphrase_file"]) or None)
    result = backup_create(
        target=folder / backup_name(timezone.localtime()),
        passphrase=passphrase,
        include_key=False,
    )
    backups_prune(folder, int(config["keep"]))
    return result.path


def read_passphrase(path: str | None) -> str | None:
    """The passphrase in the first line of the file ``path`` (None: no file, no passphrase)."""
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BackupError(f"Cannot read the passphrase file {path}: {exc.strerror}.") from None
    passphrase = text.splitlines()[0].strip() if text.strip() else ""
    if not passphrase:
        raise BackupError(f"The passphrase file {path} is empty.")
    return passphrase
