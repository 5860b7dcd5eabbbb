"""An import killed mid-way (SIGKILL of the ``kehu import`` process) leaves whole chunks only,
and running the same command again continues from the checkpoint without duplicating, with
the search index exactly what a rebuild makes: also when the new customers' terms wait aside
until the last chunk (a large import, ``DEFERRED_TERMS_FROM``)."""

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kehu.core.tests.browser import KEHU, REPO_ROOT, own_sqlite_archive, run_kehu, set_up_archive
from kehu.demo.import_files import write_sample_csv
from kehu.imports import services

ROWS = 6_000  # chunks of 500, 5,000 and 500: the kill lands in the second


def _query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def _progress(db: Path) -> int:
    try:
        rows = _query(db, "SELECT processed_rows FROM imports_importbatch")
    except sqlite3.OperationalError:  # locked or not there yet
        return 0
    return rows[0][0] if rows else 0


INDEX = (
    "SELECT term, customer_id, source, owner_id, team_id FROM search_searchterm "
    "ORDER BY 1, 2, 3, 4, 5"
)
PENDING = "SELECT COUNT(*) FROM search_pendingterm"


def _import_command(csv_path: Path, *, deferred: bool) -> list[str]:
    """``kehu import``; ``deferred``: with the terms of a file this size kept aside too."""
    arguments = ["import", str(csv_path), "--channel", "exhibition"]
    if not deferred:
        return [str(KEHU), *arguments]
    script = (
        "import os, sys, django; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kehu.config.settings'); django.setup(); "
        "from kehu.imports import engine; engine.DEFERRED_TERMS_FROM = 1; "
        f"sys.argv = ['kehu', *{arguments!r}]; "
        "from kehu.cli import main; main()"
    )
    return [sys.executable, "-c", script]


@own_sqlite_archive
@pytest.mark.django_db
@pytest.mark.parametrize("deferred", [False, True], ids=["terms-per-chunk", "terms-deferred"])
def test_killed_import_resumes_without_duplicates(
    tmp_path, settings, make_user, archive_template, deferred
):
    csv_path = write_sample_csv(tmp_path / "list.csv", ROWS, seed=7)
    # What a clean run creates: the valid rows of a dry run on an empty archive.
    settings.DATA_DIR = tmp_path / "check"
    admin = make_user("archive_admin", username="checker")
    with csv_path.open("rb") as handle:
        batch = services.import_upload(user=admin, upload=handle, name="list.csv")
    expected = services.import_dry_run(batch_id=batch.pk).valid_rows
    assert 0 < expected < ROWS

    data_dir = tmp_path / "server"
    env = set_up_archive(data_dir, archive_template)
    db = data_dir / "kehu.sqlite3"
    command = _import_command(csv_path, deferred=deferred)
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
    if deferred:  # the written customers' terms wait aside, none in the index yet
        assert _query(db, PENDING)[0][0] > customers
        assert _query(db, INDEX) == []

    resumed = subprocess.run(  # noqa: S603 (our own kehu, fixed arguments)
        _import_command(csv_path, deferred=deferred), env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr

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

    # the index holds each customer's terms once: what a rebuild from the archive makes
    assert _query(db, PENDING)[0][0] == 0
    index = _query(db, INDEX)
    assert len(index) > 8 * expected
    run_kehu(env, "search", "rebuild")
    assert _query(db, INDEX) == index
