"""Benchmark backup, restore and key rotation on a demo archive (SQLite).

    .venv/bin/python bench/backup_keys.py --customers 5000

Builds a demo archive of N customers in a temporary data directory (``kehu setup``, ``kehu
demo``), then times ``kehu backup`` (plain and with a passphrase), ``kehu restore`` into a new
data directory, and ``kehu keys rotate`` after new field and lookup keys are put first. Prints
the machine and one row per step: seconds, and customers a second. Each step is a whole ``kehu``
process, start-up (Django, ~1-2 s) included.
"""

import argparse
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

KEHU = Path(sys.executable).parent / "kehu"


def run(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own kehu script)
        [str(KEHU), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"kehu {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=5000)
    options = parser.parse_args()
    n = options.customers
    root = Path(tempfile.mkdtemp(prefix="kehu-bench-backup-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DATABASE_URL"))}
    env = {**base, "KEHU_DATA_DIR": str(root / "a"), "KEHU_ADMIN_PASSWORD": "Bench-admin-pass-1"}
    run(env, "setup", "--no-static")
    run(env, "demo", "--customers", str(n), "--order-lines", "2", "--service", "0")
    passphrase = root / "passphrase"
    passphrase.write_text("bench-passphrase-long\n")
    rows = []
    rows.append(("backup (plain)", run(env, "backup", str(root / "plain.kehubak"))))
    rows.append(
        (
            "backup (passphrase)",
            run(env, "backup", str(root / "enc.kehubak"), "--passphrase-file", str(passphrase)),
        )
    )
    restored = {**env, "KEHU_DATA_DIR": str(root / "c")}
    rows.append(
        (
            "restore (passphrase)",
            run(
                restored, "restore", str(root / "enc.kehubak"), "--passphrase-file", str(passphrase)
            ),
        )
    )
    old_field = (root / "a" / "field_encryption_key").read_text().strip()
    old_lookup = (root / "a" / "field_lookup_key").read_text().strip()
    rotated = {
        **env,
        "KEHU_FIELD_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{old_field}",
        "KEHU_FIELD_LOOKUP_KEY": f"{secrets.token_urlsafe(32)},{old_lookup}",
    }
    rows.append(("keys rotate", run(rotated, "keys", "rotate")))
    size = (root / "plain.kehubak").stat().st_size / 1e6
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"archive: {n} demo customers, SQLite; backup file {size:.1f} MB")
    print(f"{'step':<22}{'seconds':>9}{'customers/s':>13}")
    for name, seconds in rows:
        print(f"{name:<22}{seconds:>9.1f}{n / seconds:>13.0f}")


if __name__ == "__main__":
    main()
