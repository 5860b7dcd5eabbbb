"""Configuration: production refuses to start without secrets, is deploy-clean, and the
embedded database is set up to survive crashes and wait for writers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

from kehu.core.tests.browser import own_sqlite_archive

KEHU = str(Path(sys.executable).parent / "kehu")


def run_kehu(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DATABASE_URL"))}
    return subprocess.run(  # noqa: S603
        [KEHU, *args], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


@own_sqlite_archive
def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_kehu("check", KEHU_ENV="production", KEHU_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "KEHU_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "secret_key").exists()


@own_sqlite_archive
def test_production_without_encryption_key_refuses_to_start(tmp_path):
    result = run_kehu(
        "check", KEHU_ENV="production", KEHU_DATA_DIR=str(tmp_path), KEHU_SECRET_KEY="x" * 60
    )
    assert result.returncode == 2
    assert "KEHU_FIELD_ENCRYPTION_KEY is not set" in result.stderr


@own_sqlite_archive
def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_kehu(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        KEHU_ENV="production",
        KEHU_DATA_DIR=str(tmp_path),
        KEHU_SECRET_KEY=Fernet.generate_key().decode() * 2,
        KEHU_FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        KEHU_FIELD_LOOKUP_KEY=Fernet.generate_key().decode(),
        KEHU_ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@own_sqlite_archive
def test_embedded_mode_generates_and_keeps_secrets(tmp_path):
    first = run_kehu("check", KEHU_DATA_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    fernet_key = (tmp_path / "field_encryption_key").read_text().strip()
    Fernet(fernet_key)  # a valid key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    run_kehu("check", KEHU_DATA_DIR=str(tmp_path))
    assert (tmp_path / "secret_key").read_text() == key


@own_sqlite_archive
def test_bad_setting_value_is_a_clear_error(tmp_path):
    result = run_kehu("check", KEHU_DATA_DIR=str(tmp_path), KEHU_DEBUG="maybe")
    assert result.returncode == 2
    assert "KEHU_DEBUG must be true or false" in result.stderr


def test_passwords_are_hashed_with_argon2():
    # The test run swaps in a fast hasher; the configured one is in the settings module.
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from kehu.config import settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert (
        Argon2PasswordHasher().encode("s3cret-pass", "salt1234salt").startswith("argon2$argon2id$")
    )


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only"
)
@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_full_sync():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@own_sqlite_archive
def test_sqlite_file_database_uses_wal(tmp_path):
    connect = "from django.db import connection; connection.ensure_connection()"
    result = run_kehu("shell", "-c", connect, KEHU_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "kehu.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.django_db
def test_pages_send_security_headers(client, rep):
    client.force_login(rep)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@own_sqlite_archive
def test_malformed_encryption_key_stops_the_start(tmp_path):
    result = run_kehu("check", KEHU_DATA_DIR=str(tmp_path), KEHU_FIELD_ENCRYPTION_KEY="short")
    assert result.returncode != 0
    assert "kehu.E001" in result.stderr


def test_the_web_server_logs_no_query_strings_recycles_workers_and_has_no_control_socket():
    from gunicorn.config import Config

    from kehu.core.management.commands.serve import freeze_after_start, server_options

    options = server_options({"host": "127.0.0.1", "port": 8000, "workers": 2, "threads": 2})
    config = Config()
    for key, value in options.items():
        config.set(key, value)  # every option is one gunicorn knows
    assert config.max_requests >= 100
    assert config.max_requests_jitter > 0
    assert config.control_socket_disable is True
    # request line with query (r), query (q), referrer (f) and raw URI are never logged
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "%({raw_uri}e)s"):
        assert atom not in config.access_log_format
    assert "%(U)s" in config.access_log_format
    # each worker, once started, freezes what its start made (no full collection walks it)
    assert config.post_worker_init is freeze_after_start
    import gc

    try:
        freeze_after_start()
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


def test_the_data_directory_and_new_files_are_private(settings, tmp_path):
    from pathlib import Path

    assert Path(settings.DATA_DIR).stat().st_mode & 0o777 == 0o700
    created = tmp_path / "new"
    created.write_text("x")
    assert created.stat().st_mode & 0o777 == 0o600
