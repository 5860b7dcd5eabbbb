"""Keys: a lost or wrong key is never silent; rotation keeps every exact lookup working."""

import io
import secrets

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection

from kehu.core import encryption, keys, rotation
from kehu.core.checks import field_encryption_key_check
from kehu.core.creditcode import make_credit_code
from kehu.core.models import AuditEvent, KeyCanary, KeyRotation
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, CustomerChange, PersonProfile
from kehu.dedup.entry import possible_duplicates
from kehu.imports import services as import_services
from kehu.imports.models import ImportRow
from kehu.search.selectors import customer_search

pytestmark = pytest.mark.django_db

ID_NUMBER = "110101199003070011"
CREDIT_CODE = make_credit_code(region_code="330106", sequence=42)


@pytest.fixture
def use_keys(settings, tmp_path):
    """Configure field and lookup keys as an operator would, forgetting cached state."""
    settings.DATA_DIR = tmp_path
    settings.FIELD_ENCRYPTION_KEY_FILE = tmp_path / "field_encryption_key"

    def use(field, lookup=()):
        settings.FIELD_ENCRYPTION_KEYS = list(field)
        settings.FIELD_LOOKUP_KEYS = list(lookup)
        encryption._fernet.cache_clear()
        keys.forget_state()

    yield use
    encryption._fernet.cache_clear()
    keys.forget_state()


def new_key():
    return Fernet.generate_key().decode()


def stored(table, column, where="1=1"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {where}")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def archive(archivist, use_keys):
    """An archive made before lookup keys had their own key: hashes derived from the field key."""
    old = new_key()
    use_keys([old])
    KeyCanary.objects.create(purpose="lookup", fingerprint=keys.LEGACY)
    person = customer_services.customer_create(
        user=archivist,
        kind="person",
        data={
            "name": "王秀英",
            "person.id_number": ID_NUMBER,
            "emails": ["wxy@example.com"],
            "phones": ["13900001111"],
            "person.income_band": "月收入 2 万",
        },
    )
    company = customer_services.customer_create(
        user=archivist,
        kind="organization",
        data={"name": "杭州宏达机械有限公司", "organization.credit_code": CREDIT_CODE},
    )
    keys.canaries_record()
    return {"old": old, "person": person, "company": company}


def found_by_search(user, q):
    return [hit.customer.pk for hit in customer_search(user=user, q=q).hits]


def assert_lookups_work(archivist, person, company):
    # the unique-ID check
    with pytest.raises(ValidationError) as refused:
        customer_services.customer_create(
            user=archivist, kind="person", data={"name": "李四", "person.id_number": ID_NUMBER}
        )
    assert "person.id_number" in refused.value.message_dict
    # search by ID number, e-mail, credit code
    assert found_by_search(archivist, ID_NUMBER) == [person.pk]
    assert found_by_search(archivist, "WXY@example.com") == [person.pk]
    assert found_by_search(archivist, CREDIT_CODE) == [company.pk]
    # duplicate detection while entering a customer
    twins = possible_duplicates(
        kind="person", data={"name": "王秀英", "person.id_number": ID_NUMBER}
    )
    twin = next(d for d in twins if d.customer_id == person.pk)
    assert "id_number" in {name for name, _label in twin.evidence}
    # import matching: a row with only the ID number in common
    content = f"姓名,身份证号\n王小英,{ID_NUMBER}\n".encode()
    batch = import_services.import_upload(
        user=archivist, upload=io.BytesIO(content), name="people.csv"
    )
    batch = import_services.import_dry_run(batch_id=batch.pk)
    row = ImportRow.objects.get(batch=batch, row_number=2)
    assert (row.outcome, row.customer_id) == (ImportRow.Outcome.EXISTING, person.pk)


def test_rotation_re_encrypts_everything_and_lookups_still_find_existing_records(
    archive, archivist, use_keys
):
    person, company, old = archive["person"], archive["company"], archive["old"]
    before_hash = PersonProfile.objects.get(pk=person.pk).id_number_hash
    # given: the operator puts new keys first, keeping the old encryption key after them
    field_new, lookup_new = new_key(), secrets.token_urlsafe(32)
    use_keys([field_new, old], [lookup_new])
    # then: before the rotation, lookups find records under the old derivation
    assert_lookups_work(archivist, person, company)
    # when
    seen = []
    done = rotation.keys_rotate(progress=lambda step, n, total: seen.append((step, n, total)))
    # then: with only the new keys configured, everything still reads and finds
    use_keys([field_new], [lookup_new])
    assert done.finished_at is not None
    assert {step for step, _n, _t in seen} >= {"people", "history", "search"}
    assert not KeyCanary.objects.filter(fingerprint=keys.LEGACY).exists()
    assert keys.key_problems() == []
    profile = PersonProfile.objects.get(pk=person.pk)
    assert profile.id_number == ID_NUMBER
    assert profile.income_band == "月收入 2 万"
    assert profile.id_number_hash != before_hash
    for change in CustomerChange.objects.filter(customer=person):
        for entry in change.entries():
            entry.text("new")  # every history value decrypts under the new key alone
    assert_lookups_work(archivist, person, company)
    old_only = Fernet(old.encode())
    for token in stored("customers_personprofile", "id_number", "id_number <> ''"):
        with pytest.raises(encryption.InvalidToken):
            old_only.decrypt(token.encode())
    assert AuditEvent.objects.filter(action="keys_rotated").exists()


def test_an_interrupted_rotation_resumes_where_it_stopped(
    archive, archivist, use_keys, monkeypatch
):
    for n in range(5):
        customer_services.customer_create(
            user=archivist, kind="person", data={"name": f"客户{n}", "person.spouse": f"配偶{n}"}
        )
    field_new = new_key()
    use_keys([field_new, archive["old"]], [secrets.token_urlsafe(32)])
    monkeypatch.setattr(rotation, "CHUNK", 2)
    real_rewrite = rotation.Rotator.rewrite
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the machine lost power")
        return real_rewrite(self, *args, **kwargs)

    monkeypatch.setattr(rotation.Rotator, "rewrite", failing)
    with pytest.raises(RuntimeError):
        rotation.keys_rotate()
    stopped = KeyRotation.objects.get()
    assert stopped.finished_at is None
    assert stopped.step == "customers"
    assert stopped.last_id > 0

    # when: run again
    monkeypatch.setattr(rotation.Rotator, "rewrite", real_rewrite)
    rotation.keys_rotate()
    # then: the same record finished, nothing left under the old key
    stopped.refresh_from_db()
    assert stopped.finished_at is not None
    assert KeyRotation.objects.count() == 1
    assert stopped.done["customers"] == Customer.objects.count()  # resumed, not restarted
    use_keys([field_new], [])
    assert sorted(PersonProfile.objects.exclude(spouse="").values_list("spouse", flat=True)) == [
        f"配偶{n}" for n in range(5)
    ]


def test_a_wrong_key_is_reported_with_the_recovery_steps(archive, use_keys):
    # given: the configured key is not the one the data was encrypted with
    use_keys([new_key()], [])
    # then
    errors = field_encryption_key_check()
    assert [e.id for e in errors] == ["kehu.E002"]
    assert "cannot be decrypted" in errors[0].msg
    assert "What to do" in errors[0].msg
    with pytest.raises(keys.KeyProblem):
        keys.require_readable_keys()


def test_a_missing_key_file_is_not_replaced_while_encrypted_data_exists(archive, use_keys):
    use_keys([], [])
    key_file = django_settings.FIELD_ENCRYPTION_KEY_FILE
    assert not key_file.exists()
    with pytest.raises(keys.KeyProblem, match="Kehu does not make a new key"):
        keys.field_keys()
    assert not key_file.exists()
    assert [e.id for e in field_encryption_key_check()] == ["kehu.E002"]


def test_a_new_archive_gets_a_key_file(use_keys):
    use_keys([], [])
    made = keys.field_keys()
    assert django_settings.FIELD_ENCRYPTION_KEY_FILE.read_text().strip() == made[0]
    assert field_encryption_key_check() == []


def test_the_right_keys_pass(archive):
    assert keys.key_problems() == []
    assert field_encryption_key_check() == []


def test_a_lost_lookup_key_is_reported(archive, archivist, use_keys):
    lookup = secrets.token_urlsafe(32)
    use_keys([archive["old"]], [lookup])
    keys.canaries_record()
    use_keys([archive["old"]], [secrets.token_urlsafe(32)])
    problems = keys.key_problems()
    assert len(problems) == 1
    assert "kehu keys rotate" in problems[0]
