"""Backup and restore: a consistent copy while writes go on, checksums, passphrase, refusals;
and a lost key stops ``kehu check`` / ``kehu serve`` instead of being replaced."""

import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

from kehu.core import backup
from kehu.core.backup import BackupError
from kehu.core.keys import field_keys
from kehu.core.tests.browser import (
    KEHU,
    REPO_ROOT,
    own_sqlite_archive,
    run_kehu,
    server_env,
    set_up_archive,
)
from kehu.customers import services as customer_services
from kehu.demo.import_files import write_sample_csv

PASSPHRASE = "长城-backup-passphrase"

# Creates customers (each one transaction: customer, profile, phones, history, search terms)
# until the stop file appears; prints how many. It pauses 5 ms between customers, as writes from
# people do: SQLite's busy wait is not a queue, and a writer that takes the lock back at once,
# for ever, starves every other writer (on an idle machine the backup's audit row waited out
# its 30 s and failed with "database is locked").
WRITER = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
django.setup()
from pathlib import Path
from kehu.accounts.models import User
from kehu.customers import services
stop = Path(sys.argv[1])
user = User.objects.get(username=os.environ["KEHU_ADMIN_USERNAME"])
n = 0
while not stop.exists():
    services.customer_create(user=user, kind="person", data={
        "name": f"并发客户{n}", "phones": [f"1390000{n:04d}"],
        "person.spouse": f"配偶{n}"})
    n += 1
    time.sleep(0.005)
print(n)
"""

# Prints every person's decrypted sensitive values, for comparing two archives.
DUMP = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
django.setup()
from kehu.customers.models import PersonProfile
for p in PersonProfile.objects.order_by("pk"):
    print(p.pk, p.id_number, p.spouse, p.income_band, sep="|")
"""


def rows(db: Path) -> dict[str, set[tuple]]:
    """Every row of every table."""
    with sqlite3.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: set(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables}  # noqa: S608


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608


def python(env: dict[str, str], script: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def populated(tmp_path_factory, archive_template):
    """A served-style archive (SQLite) with imported customers, ID numbers included."""
    root = tmp_path_factory.mktemp("backup")
    env = set_up_archive(root / "a", archive_template)
    csv_path = write_sample_csv(root / "people.csv", 400, seed=11)
    run_kehu(env, "import", str(csv_path), "--channel", "exhibition")
    return root, env


@own_sqlite_archive
def test_backup_while_writing_restores_every_row(populated):
    root, env = populated
    source = root / "a" / "kehu.sqlite3"
    passphrase_file = root / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n")
    stop = root / "stop-writing"
    before = count(source, "customers_customer")
    assert before > 300
    # given: a writer creating customers all the time
    writer = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", WRITER, str(stop)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while count(source, "customers_customer") < before + 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        # when: the backup runs meanwhile
        target = root / "nightly.kehubak"
        run_kehu(env, "backup", str(target), "--passphrase-file", str(passphrase_file),
                 "--include-key")  # fmt: skip
        at_backup_end = count(source, "customers_customer")
        deadline = time.monotonic() + 120
        while count(source, "customers_customer") < at_backup_end + 5:
            assert time.monotonic() < deadline, "the writer stopped writing"
            time.sleep(0.1)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    # then: the file is encrypted (no clear names inside)
    assert backup.is_encrypted(target)
    assert "并发客户".encode() not in target.read_bytes()
    # when: restored into a new data directory
    restored_env = server_env(root / "c")
    run_kehu(restored_env, "restore", str(target), "--passphrase-file", str(passphrase_file))
    copy = root / "c" / "kehu.sqlite3"
    # then: every row of every table of the copy is in the source as it is now, and the source
    # has nothing the copy lacks below the copy's highest id (one moment, no torn transaction)
    source_rows, copy_rows = rows(source), rows(copy)
    assert set(copy_rows) == set(source_rows)
    for table, copied in copy_rows.items():
        assert copied <= source_rows[table], f"{table}: a row differs from the source"
    customers = {r[0] for r in copy_rows["customers_customer"]}
    assert before + 5 <= len(customers) < len(source_rows["customers_customer"])
    highest = max(customers)
    assert {r for r in source_rows["customers_customer"] if r[0] <= highest} == copy_rows[
        "customers_customer"
    ]
    people = {r[0] for r in copy_rows["customers_personprofile"]}
    assert people == {r[0] for r in copy_rows["customers_customer"] if r[0] in people}
    with sqlite3.connect(copy) as conn:
        # every customer came whole: with its history (a creation row, or the name's row when
        # made by the service) and, for the writer's, with its phone
        created = conn.execute(
            "SELECT customer_id FROM customers_customerchange WHERE field IN ('*', 'name')"
        ).fetchall()
        assert {c for (c,) in created} >= customers
        unphoned = conn.execute(
            "SELECT COUNT(*) FROM customers_customer c WHERE c.name LIKE '并发客户%' AND NOT "
            "EXISTS (SELECT 1 FROM customers_phone p WHERE p.customer_id = c.id)"
        ).fetchone()[0]
        assert unphoned == 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # the keys came along: the copy decrypts every sensitive value as the source does
    source_dump = python(env, DUMP).splitlines()
    copy_dump = python(restored_env, DUMP).splitlines()
    assert copy_dump == [line for line in source_dump if int(line.split("|")[0]) in people]
    sensitive = [line.split("|")[1:] for line in copy_dump]
    assert sum(1 for values in sensitive if any(values)) > 5  # decrypted values, not blanks


@own_sqlite_archive
def test_a_lost_key_stops_check_and_serve_and_is_not_replaced(populated):
    root, env = populated
    # given: a copy of the archive whose key file went missing
    lost = root / "lost"
    shutil.copytree(root / "a", lost, ignore=shutil.ignore_patterns("backups", "cache"))
    (lost / "field_encryption_key").unlink()
    lost_env = {**env, "KEHU_DATA_DIR": str(lost)}
    for command in (["check"], ["serve", "--port", "0", "--no-worker"], ["setup", "--no-static"]):
        # when
        done = subprocess.run(  # noqa: S603
            [str(KEHU), *command], env=lost_env, cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        # then
        assert done.returncode != 0, command
        assert "field-encryption key file" in done.stderr, done.stderr
        assert "What to do" in done.stderr
        assert not (lost / "field_encryption_key").exists()
    # a wrong key is refused as well
    (lost / "field_encryption_key").write_text(Fernet.generate_key().decode() + "\n")
    done = subprocess.run(  # noqa: S603
        [str(KEHU), "check"], env=lost_env, cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "cannot be decrypted" in done.stderr


# --- in-process: the file format and the refusals -------------------------------------------


@pytest.fixture
def made(transactional_db, tmp_path, settings, archivist):
    # transactional_db: SQLite's backup API waits for a writer, and the ``db`` fixture's
    # enclosing transaction is one that never ends within the test.
    settings.DATA_DIR = tmp_path / "data"
    (settings.DATA_DIR / "media").mkdir(parents=True)
    (settings.DATA_DIR / "media" / "合同.pdf").write_bytes(b"%PDF-1.4 contract")
    customer_services.customer_create(
        user=archivist,
        kind="person",
        data={"name": "王秀英", "person.id_number": "110101199003070011"},
    )

    def make(name="b.kehubak", **options):
        return backup.backup_create(target=tmp_path / name, **options)

    return make


def members(path: Path) -> list[str]:
    with tarfile.open(path) as tar:
        return tar.getnames()


def test_the_key_is_in_the_file_only_when_asked(made, settings):
    plain = made("plain.kehubak")
    assert not any(m.startswith("keys/") for m in members(plain.path))
    assert "files/media/合同.pdf" in members(plain.path)
    with_key = made("with-key.kehubak", include_key=True)
    assert "keys/field_encryption_key" in members(with_key.path)
    key = field_keys()[0].encode()  # from the settings or the key file, as Kehu reads it
    assert key not in plain.path.read_bytes()
    assert oct(plain.path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="restores into a SQLite file: the backup must be of a SQLite archive",
)
def test_restore_verifies_checksums_and_passphrase(made, tmp_path):
    result = made(passphrase=PASSPHRASE)
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "new" / "k.sqlite3")}
    with pytest.raises(BackupError, match="passphrase is wrong"):
        backup.backup_restore(archive=result.path, data_dir=tmp_path / "new",
                              database=target, passphrase="not-the-one")  # fmt: skip
    # a damaged byte in the middle
    damaged = tmp_path / "damaged.kehubak"
    data = bytearray(result.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged"):
        backup.backup_restore(archive=damaged, data_dir=tmp_path / "new", database=target,
                              passphrase=PASSPHRASE)  # fmt: skip
    # cut off
    cut = tmp_path / "cut.kehubak"
    cut.write_bytes(result.path.read_bytes()[:-200])
    with pytest.raises(BackupError, match="cut off|damaged"):
        backup.backup_restore(archive=cut, data_dir=tmp_path / "new", database=target,
                              passphrase=PASSPHRASE)  # fmt: skip
    assert not Path(target["NAME"]).exists()  # nothing written by a refused restore
    # the good one
    manifest = backup.backup_restore(archive=result.path, data_dir=tmp_path / "new",
                                     database=target, passphrase=PASSPHRASE)  # fmt: skip
    assert manifest["database"] == "sqlite"
    assert (tmp_path / "new" / "media" / "合同.pdf").read_bytes() == b"%PDF-1.4 contract"
    with sqlite3.connect(target["NAME"]) as conn:
        assert conn.execute("SELECT name FROM customers_customer").fetchall() == [("王秀英",)]


def test_a_file_changed_inside_an_unencrypted_backup_is_caught(made, tmp_path):
    result = made()
    unpacked = tmp_path / "x"
    with tarfile.open(result.path) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "files" / "media" / "合同.pdf").write_bytes(b"%PDF-1.4 forged!!")
    forged = tmp_path / "forged.kehubak"
    with tarfile.open(forged, "w") as tar:
        for name in members(result.path):
            tar.add(unpacked / name, arcname=name)
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "n" / "k.sqlite3")}
    with pytest.raises(BackupError, match="Checksum mismatch for files/media/合同.pdf"):
        backup.backup_restore(archive=forged, data_dir=tmp_path / "n", database=target)


def test_restore_refuses_an_archive_that_is_not_empty(made, tmp_path):
    result = made()
    busy = tmp_path / "busy"
    (busy / "media").mkdir(parents=True)
    (busy / "media" / "x.png").write_bytes(b"x")
    db_path = busy / "k.sqlite3"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE t (x)")
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db_path)}
    with pytest.raises(BackupError, match="only goes into an empty archive") as refused:
        backup.backup_restore(archive=result.path, data_dir=busy, database=target)
    assert "already has tables" in str(refused.value)
    assert "has files" in str(refused.value)
    assert (busy / "media" / "x.png").read_bytes() == b"x"


def test_postgres_without_pg_dump_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "kehu", "HOST": "127.0.0.1"}
    with pytest.raises(BackupError, match="pg_dump is not installed") as refused:
        backup.backup_write(target=tmp_path / "b.kehubak", data_dir=tmp_path, database=database)
    assert "postgresql-client" in str(refused.value)
    assert not (tmp_path / "b.kehubak").exists()


def test_the_nightly_backup_keeps_the_newest_n(made, settings, tmp_path, monkeypatch):
    settings.KEHU_BACKUP = {"dir": str(tmp_path / "nightly"), "keep": 3, "hour": 1,
                            "passphrase_file": ""}  # fmt: skip
    names = iter(f"kehu-2026010{n}-010000.kehubak" for n in range(1, 6))
    monkeypatch.setattr(backup, "backup_name", lambda now: next(names))
    for _night in range(5):
        backup.backup_nightly()
    kept = sorted(p.name for p in (tmp_path / "nightly").iterdir())
    assert kept == [f"kehu-2026010{n}-010000.kehubak" for n in (3, 4, 5)]


def test_the_backup_command_refuses_a_missing_passphrase_file(db, tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Cannot read the passphrase file"):
        call_command("backup", str(tmp_path / "b.kehubak"), passphrase_file=str(tmp_path / "no"))
    assert not (tmp_path / "b.kehubak").exists()
