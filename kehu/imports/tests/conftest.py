"""Fixtures of the import tests: uploads in a data directory of the test's own, an archive
administrator, and huey running tasks inline."""

import pytest
from huey.contrib.djhuey import HUEY

from kehu.accounts.models import Role


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def archivist(make_user):
    return make_user(Role.ARCHIVE_ADMIN, username="archivist")


@pytest.fixture
def huey_immediate():
    HUEY.immediate = True
    yield
    HUEY.immediate = False
