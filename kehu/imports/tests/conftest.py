"""Fixtures of the import tests: uploads in a data directory of the test's own (the archive
administrator and inline tasks come from the root conftest)."""

import pytest


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
