import pytest

from kehu.accounts.models import Role
from kehu.customers import services as customer_services


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="marketer1")


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def customer(rep, data_dir):
    """A person owned by the rep, with a phone, an e-mail and an ID number."""
    return customer_services.customer_create(
        user=rep,
        kind="person",
        data={
            "name": "甘露雪",
            "phones": ["13766554433"],
            "emails": ["luxue.gan@example.com"],
            "person.id_number": "330212199105170748",
            "address": "浙江省宁波市海曙区中山西路2号",
        },
    )


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", body, content_type="application/json")
