"""Fixtures shared by every app's tests."""

from typing import Any

import pytest
from django.utils import translation

from kehu.accounts.models import Role


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Pages render {% static %} without collectstatic's manifest; the browser tests use the
    # real manifest storage against the served app.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    # Tests assert English messages unless they ask for another language; the configured
    # default (zh-hans) is checked in accounts/tests/test_language.py.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; test_security.py checks that production settings use it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _lookup_key_state():
    # A process reads once a minute whether old-style lookup hashes may exist (one query); a
    # test starts knowing they do not, so query counts do not depend on test order. The key
    # tests (kehu/core/tests/test_keys.py) forget this and read the table.
    from kehu.core import keys

    keys.remember_state(legacy=False)
    yield
    keys.forget_state()


@pytest.fixture
def one_rate_window():
    """Rate limits count hits in fixed windows (``kehu.intake.ratelimit``): a test that counts
    them runs from the start of an hour, which every window divides, with the clock stopped, so
    no window boundary splits its hits however slow the machine."""
    import time

    import time_machine

    with time_machine.travel((int(time.time()) // 3600 + 1) * 3600 + 1, tick=False):
        yield


@pytest.fixture
def make_user(db):
    from kehu.accounts.tests.factories import UserFactory

    def make(role=Role.SALES_REP, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin1", is_staff=True, is_superuser=True)


@pytest.fixture
def rep(make_user):
    return make_user(Role.SALES_REP, username="rep1")


@pytest.fixture
def other_rep(make_user):
    return make_user(Role.SALES_REP, username="rep2")


@pytest.fixture
def archivist(make_user):
    return make_user(Role.ARCHIVE_ADMIN, username="archivist")


@pytest.fixture
def agent(make_user):
    return make_user(Role.SERVICE_AGENT, username="agent1", display_name="客服小李")


@pytest.fixture
def leader(make_user):
    return make_user(Role.LEADER, username="boss")


@pytest.fixture
def huey_immediate():
    """Background tasks run at once, in the test's process."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


class TaskQueue:
    """The task queue as a test sees it: tasks are queued, not run, until ``run_next``."""

    def __init__(self, huey: Any) -> None:
        self.huey = huey

    def pending(self) -> int:
        return int(self.huey.pending_count())

    def run_next(self) -> None:
        """Run the oldest queued task in the test's process and transaction (in immediate
        mode: a worker's task closes the database connection when it ends)."""
        task = self.huey.dequeue()
        if task is None:
            raise AssertionError("no task queued")
        self.huey.immediate = True
        try:
            self.huey.execute(task)
        finally:
            self.huey.immediate = False


@pytest.fixture
def task_queue():
    """An empty task queue whose tasks the test runs one by one (``TaskQueue``)."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    yield TaskQueue(HUEY)
    HUEY.flush()
