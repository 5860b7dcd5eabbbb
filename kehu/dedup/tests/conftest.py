import pytest

from kehu.accounts.models import Role


@pytest.fixture
def archivist(make_user):
    return make_user(Role.ARCHIVE_ADMIN, username="archivist")
