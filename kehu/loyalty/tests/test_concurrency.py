"""Redemptions racing each other never overdraw a balance: real threads, each with its own
database connection, on whichever database the suite runs (SQLite and PostgreSQL in CI)."""

import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import connection, connections

from kehu.core.exceptions import Conflict
from kehu.loyalty import services
from kehu.loyalty.models import Member, PointsEntry

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_concurrent_redemptions_never_overdraw(programme, rep, customer):
    # given: 100 points, and eight redemptions of 30 at the same moment
    member = services.member_enrol(user=rep, customer=customer)
    services.points_adjust(user=_admin(), member=member, points=100, reason="开卡礼")
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem() -> None:
        try:
            start.wait()
            services.points_redeem(user=rep, member=member, points=30, reason="并发")
            result = "ok"
        except Conflict:
            result = "refused"
        except Exception as exc:
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    def check() -> tuple[int, int, list[Any]]:
        balance = Member.objects.get(pk=member.pk).points_balance
        ledger = sum(PointsEntry.objects.filter(member=member).values_list("points", flat=True))
        return balance, ledger, services.ledger_reconcile().mismatches

    with racing_database():
        # when
        threads = [threading.Thread(target=redeem) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        balance, ledger, mismatches = in_thread(check)
    # then: three went through, five were refused, the balance is the ledger's
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5, outcomes
    assert (balance, ledger, mismatches) == (10, 10, [])


@contextmanager
def racing_database() -> Iterator[None]:
    """Threads race on the database as Kehu runs it. PostgreSQL: the test database itself.
    SQLite: the test database is in memory with a shared cache, whose table locks fail at once
    instead of waiting; so the race runs on a file copy with Kehu's settings (WAL, BEGIN
    IMMEDIATE, busy timeout). Inside, only other threads may use the database."""
    if connection.vendor != "sqlite" or not cast(Any, connection).is_in_memory_db():
        yield
        return
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "race.sqlite3")
        copy = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(copy)
        copy.close()
        settings_dict = connections.settings["default"]
        name = settings_dict["NAME"]
        settings_dict["NAME"] = path
        try:
            yield
        finally:
            settings_dict["NAME"] = name


def in_thread(work: Callable[[], Any]) -> Any:
    found: list[Any] = []

    def run() -> None:
        try:
            found.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return found[0]


def _admin():
    from kehu.accounts.models import Role
    from kehu.accounts.tests.factories import UserFactory

    return UserFactory(role=Role.ADMIN, username="loyalty-admin")
