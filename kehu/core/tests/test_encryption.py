import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from kehu.core import encryption


@pytest.fixture
def keys(settings):
    def use(*keys):
        settings.FIELD_ENCRYPTION_KEYS = list(keys)
        encryption._fernet.cache_clear()

    yield use
    encryption._fernet.cache_clear()


def test_round_trip_and_ciphertext_hides_the_value(keys):
    keys(Fernet.generate_key().decode())
    token = encryption.encrypt("110101199003070011")
    assert "110101" not in token
    assert encryption.decrypt(token) == "110101199003070011"


def test_rotation_reads_old_values_and_writes_with_the_new_key(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = encryption.encrypt("月收入 2 万")
    keys(new, old)
    assert encryption.decrypt(token) == "月收入 2 万"
    fresh = encryption.encrypt("x")
    keys(new)
    assert encryption.decrypt(fresh) == "x"


def test_a_lost_key_cannot_read_the_data(keys):
    keys(Fernet.generate_key().decode())
    token = encryption.encrypt("secret")
    keys(Fernet.generate_key().decode())
    with pytest.raises(encryption.InvalidToken):
        encryption.decrypt(token)


def test_invalid_key_is_a_clear_configuration_error(keys):
    keys("not-a-key")
    with pytest.raises(ImproperlyConfigured, match="not a valid Fernet key"):
        encryption.encrypt("x")


def test_field_stores_ciphertext_and_returns_clear_text(keys):
    keys(Fernet.generate_key().decode())
    field = encryption.EncryptedTextField()
    stored = field.get_prep_value("13800138000")
    assert stored != "13800138000"
    assert field.from_db_value(stored, None, None) == "13800138000"
    assert field.get_prep_value("") == ""
    assert field.get_prep_value(None) is None
