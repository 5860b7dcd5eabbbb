"""Names refuse control and invisible characters; contact dates stay in range (finding 8)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kehu.core.text import validate_name_text
from kehu.customers import services as customer_services
from kehu.customers.models import Contact, Customer
from kehu.interactions.models import Interaction

pytestmark = pytest.mark.django_db

BAD = ["\x00", "\x1b[31m", "\u202e", "\u200b", "\r", "\n", "\ufeff", "\u2066"]


@pytest.mark.parametrize("char", BAD)
def test_the_validator_refuses_control_and_invisible_characters(char):
    with pytest.raises(ValidationError, match="U\\+"):
        validate_name_text(f"张{char}伟")


def test_the_validator_keeps_ordinary_names():
    for name in ["张伟", "Zhang Wei", "O'Brien-Smith", "杭州宏达机械有限公司（分部）", "Ana María"]:
        validate_name_text(name)


@pytest.fixture
def api(rep):
    client = Client()
    client.force_login(rep)
    return client


@pytest.mark.parametrize("char", BAD)
def test_a_customer_name_with_a_control_character_is_refused_by_the_api(api, char):
    body = {"kind": "person", "fields": {"name": f"张{char}伟"}}
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("name")
    assert not Customer.objects.exists()


def test_a_contact_name_with_a_control_character_is_refused(rep):
    company = customer_services.customer_create(
        user=rep, kind="organization", data={"name": "杭州宏达机械有限公司"}
    )
    with pytest.raises(ValidationError) as refused:
        customer_services.contact_save(
            user=rep, customer=company, data={"name": "李\u202e娜", "role": "purchaser"}
        )
    assert "name" in refused.value.message_dict
    assert not Contact.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "1899-06-01T00:00:00Z"])
def test_an_interaction_before_1900_is_refused(api, rep, when):
    customer = customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})
    body = {
        "customer_id": customer.pk,
        "type": "phone_call",
        "summary": "called",
        "occurred_at": when,
    }
    response = api.post("/api/v1/interactions/", body, content_type="application/json")
    assert response.status_code == 422
    assert not Interaction.objects.exists()
