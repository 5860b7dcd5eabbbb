"""The agents' screen-pop: ``/calls/lookup?number=…``."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.interactions.services import interaction_log

pytestmark = pytest.mark.django_db

URL = "/calls/lookup"


@pytest.fixture
def history(person, rep):
    for days in range(7):
        interaction_log(
            user=rep,
            customer=person,
            type="visit",
            summary=f"拜访第{days}次",
            occurred_at=timezone.now() - timedelta(days=days),
        )


def test_service_agent_sees_who_is_calling(client, agent, person, history):
    client.force_login(agent)

    response = client.get(URL, {"number": "+86 138-0013-8000"})

    assert response.status_code == 200
    text = response.text
    assert 'data-testid="caller-customer"' in text
    assert "张伟" in text
    assert 'data-testid="caller-grade">General' in text
    assert "Open cases" in text  # listed by the service module once it is there
    assert text.count("拜访第") == 5  # the last five interactions
    assert "拜访第0次" in text
    assert "拜访第6次" not in text


def test_contact_number_shows_the_contact_and_organization(client, agent, company):
    client.force_login(agent)
    response = client.get(URL, {"number": "13900139000"})
    assert 'data-testid="caller-contact">李娜' in response.text
    assert "杭州宏达机械有限公司" in response.text


def test_rep_sees_only_own_customers(client, rep, other_rep, person, company):
    client.force_login(rep)
    own = client.get(URL, {"number": "13800138000"})
    assert "张伟" in own.text
    # the landline belongs to rep2's customer: to rep1 it is an unknown number
    other = client.get(URL, {"number": "010-12345678"})
    assert other.status_code == 200
    assert "杭州宏达机械有限公司" not in other.text
    assert 'data-testid="lookup-unknown"' in other.text


def test_invalid_number_is_explained(client, agent):
    client.force_login(agent)
    response = client.get(URL, {"number": "12345"})
    assert 'data-testid="lookup-error"' in response.text


def test_empty_page_shows_the_form(client, agent):
    client.force_login(agent)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="lookup-form"' in response.text


def test_needs_sign_in(client):
    response = client.get(URL, {"number": "13800138000"})
    assert response.status_code == 302


def test_leader_sees_all(client, make_user, company):
    client.force_login(make_user(Role.LEADER, username="boss"))
    assert "杭州宏达机械有限公司" in client.get(URL, {"number": "010 1234 5678"}).text


def test_query_count_does_not_grow_with_history(client, agent, person, history):
    client.force_login(agent)
    client.get(URL, {"number": "13800138000"})
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"number": "13800138000"})
    # 10, and per caller card the knowledge card: what they bought, their waiting questions
    assert len(queries) <= 12
