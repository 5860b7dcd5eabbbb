"""An import killed mid-way (SIGKILL of the ``kehu import`` process) leaves whole chunks only,
and running the same command again continues from the checkpoint without duplicating."""

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from kehu.core.tests.browser import KEHU, REPO_ROOT, run_kehu, server_env
from kehu.demo.import_files import write_sample_csv
from kehu.imports import services

ROWS = 12_000


def _query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def _progress(db: Path) -> int:
    try:
        rows = _query(db, "SELECT processed_rows FROM imports_importbatch")
    except sqlite3.OperationalError:  # locked or not there yet
        return 0
    return rows[0][0] if rows else 0


@pytest.mark.django_db
def test_killed_import_resumes_without_duplicates(tmp_path, settings, make_user):
    csv_path = write_sample_csv(tmp_path / "list.csv", ROWS, seed=7)
    # What a clean run creates: the valid rows of a dry run on an empty archive.
    settings.DATA_DIR = tmp_path / "check"
    admin = make_user("archive_admin", username="checker")
    with csv_path.open("rb") as handle:
        batch = services.import_upload(user=admin, upload=handle, name="list.csv")
    expected = services.import_dry_run(batch_id=batch.pk).valid_rows
    assert 0 < expected < ROWS

    data_dir = tmp_path / "server"
    env = server_env(data_dir)
    run_kehu(env, "setup", "--no-static")
    db = data_dir / "kehu.sqlite3"
    command = [str(KEHU), "import", str(csv_path), "--channel", "exhibition"]
    process = subprocess.Popen(  # noqa: S603 (our own kehu script)
        command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while _progress(db) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = _progress(db)
    assert 0 < done < ROWS, "the import should be killed mid-way"
    customers = _query(db, "SELECT COUNT(*) FROM customers_customer")[0][0]
    created = _query(db, "SELECT COUNT(*) FROM imports_importrow WHERE outcome = 'created'")[0][0]
    assert customers == created < expected

    run_kehu(env, "import", str(csv_path), "--channel", "exhibition")

    assert _query(db, "SELECT status, processed_rows FROM imports_importbatch") == [("done", ROWS)]
    assert _query(db, "SELECT COUNT(*) FROM customers_customer")[0][0] == expected
    distinct_ids = "SELECT COUNT(DISTINCT id_number_hash) FROM customers_personprofile"
    assert _query(db, distinct_ids)[0][0] == expected
    report = "SELECT COUNT(*), COUNT(DISTINCT row_number) FROM imports_importrow"
    assert _query(db, report)[0] == (ROWS, ROWS)
    orphans = (
        "SELECT COUNT(*) FROM customers_customer c WHERE NOT EXISTS "
        "(SELECT 1 FROM customers_personprofile p WHERE p.customer_id = c.id) OR NOT EXISTS "
        "(SELECT 1 FROM customers_customerchange h WHERE h.customer_id = c.id "
        "AND h.field = '*' AND h.import_batch_id IS NOT NULL) OR NOT EXISTS "
        "(SELECT 1 FROM customers_phone p WHERE p.customer_id = c.id)"
    )
    assert _query(db, orphans)[0][0] == 0
