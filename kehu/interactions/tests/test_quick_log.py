"""Quick logging: "log a call / visit / note" and "add a task" in a dialog from the 360° header,
customer list rows, search results and the call lookup, saved without leaving the page."""

import pytest

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.interactions.models import Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(
        user=rep, kind="person", data={"name": "张伟", "phones": ["13800138000"]}
    )


def test_quick_form_opens_with_the_type_chosen(client, rep, customer):
    client.force_login(rep)
    response = client.get(
        f"/customers/{customer.pk}/interactions/new/?quick=1&type=phone_call",
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert 'data-testid="quick-log-form"' in text
    assert '<option value="phone_call" selected>' in text


def test_quick_log_saves_and_closes_the_dialog(client, rep, customer):
    client.force_login(rep)
    response = client.post(
        f"/customers/{customer.pk}/interactions/new/",
        {"quick": "1", "type": "phone_call", "direction": "outbound", "summary": "确认报价"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert "kehu:saved" in response["HX-Trigger"]
    interaction = Interaction.objects.get()
    assert (interaction.type, interaction.summary, interaction.user) == (
        "phone_call",
        "确认报价",
        rep,
    )


def test_quick_log_with_errors_stays_in_the_dialog(client, rep, customer):
    client.force_login(rep)
    response = client.post(
        f"/customers/{customer.pk}/interactions/new/",
        {"quick": "1", "type": "visit", "direction": "outbound", "summary": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert 'data-testid="quick-log-form"' in response.content.decode()
    assert not Interaction.objects.exists()


def test_quick_log_refuses_the_wrong_user(client, other_rep, make_user, customer):
    client.force_login(other_rep)
    url = f"/customers/{customer.pk}/interactions/new/"
    body = {"quick": "1", "type": "visit", "direction": "outbound", "summary": "x"}
    assert client.post(url, body, HTTP_HX_REQUEST="true").status_code == 404
    client.force_login(make_user(Role.LEADER, username="boss"))
    assert client.post(url, body, HTTP_HX_REQUEST="true").status_code == 403
    assert not Interaction.objects.exists()


def test_quick_actions_everywhere(client, rep, customer):
    client.force_login(rep)
    marker = f'data-testid="quick-actions-{customer.pk}"'
    assert marker in client.get(customer.get_absolute_url()).content.decode()
    assert marker in client.get("/customers/").content.decode()
    assert marker in client.get("/search/?q=张伟").content.decode()
    assert marker in client.get("/calls/lookup?number=13800138000").content.decode()


def test_no_quick_actions_for_a_leader(client, make_user, customer):
    client.force_login(make_user(Role.LEADER, username="boss"))
    marker = f'data-testid="quick-actions-{customer.pk}"'
    assert marker not in client.get(customer.get_absolute_url()).content.decode()
    assert marker not in client.get("/customers/").content.decode()
