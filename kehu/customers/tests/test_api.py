"""The archive's HTTP API: every endpoint works for the right user and refuses the wrong one;
sensitive values never leave in clear except from /reveal."""

import base64
import typing
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.api.schemas import Ordering
from kehu.customers.models import Channel, Contact, Customer, CustomerChange, CustomField
from kehu.customers.selectors import ORDERINGS
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"  # verified in kehu/core/tests
HOME = "北京市朝阳区建国路1号"
INCOME = "月入2万以上"
HEALTH = "轻度高血压"


def api(client, method, path, body=None, **extra):
    kwargs = {"content_type": "application/json"} if body is not None else {}
    call = getattr(client, method.lower())
    return (
        call(f"/api/v1{path}", body, **kwargs, **extra)
        if body is not None
        else call(f"/api/v1{path}", **extra)
    )


def errors_of(response):
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
def health_field(admin_user):
    return services.custom_field_save(
        user=admin_user, code="health", label="健康状况", field_type="text", sensitive=True
    )


@pytest.fixture
def person(rep, health_field):
    return services.customer_create(
        user=rep,
        kind="person",
        data={
            "name": "张伟",
            "phones": "138 0013 8000",
            "person.id_number": ID_MALE_1990,
            "person.home_address": HOME,
            "person.income_band": INCOME,
            "person.employer": "华为",
            "custom.health": HEALTH,
        },
        channel=Channel.objects.get(code="exhibition"),
    )


@pytest.fixture
def org(rep):
    return services.customer_create(
        user=rep,
        kind="organization",
        data={
            "name": "杭州宏达机械有限公司",
            "organization.credit_code": "91350100M000100Y43",
            "organization.registered_capital": "1200.50",
            "organization.founded_on": "2008-05-20",
            "address": "浙江省杭州市西湖区文三路90号",
        },
    )


@pytest.fixture
def contact(rep, org):
    return services.contact_save(
        user=rep,
        customer=org,
        data={"name": "王经理", "role": "purchaser", "phones": ["13900001111"]},
    )


@pytest.fixture
def leader(make_user):
    return make_user(Role.LEADER)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


# --- every endpoint refuses the wrong user ---------------------------------------------------

Call = tuple[str, str, dict[str, Any] | None]

# (method, path, body); {p} a person, {o} an organization, {k} a contact of {o}, {u} a user
CUSTOMER_WRITES: list[Call] = [
    ("PATCH", "/customers/{p}", {"fields": {"person.employer": "腾讯"}}),
    ("POST", "/customers/{p}/archive", {}),
    ("POST", "/customers/{p}/restore", {}),
    ("POST", "/customers/{p}/review", {}),
    ("POST", "/customers/{p}/assign", {"owner_id": "{u}"}),
    ("POST", "/customers/{p}/share", {"user_ids": ["{u}"]}),
    ("POST", "/customers/{o}/contacts", {"name": "李会计", "role": "finance"}),
    ("PATCH", "/customers/{o}/contacts/{k}", {"title": "总经理"}),
    ("DELETE", "/customers/{o}/contacts/{k}", None),
    ("POST", "/customers/{p}/reveal", {"field": "person.id_number"}),
]
CUSTOMER_READS: list[Call] = [
    ("GET", "/customers/{p}", None),
    ("GET", "/customers/{p}?as_of=2030-01-01", None),
    ("GET", "/customers/{p}/history", None),
    ("GET", "/customers/{o}/contacts", None),
]
ADMIN_WRITES: list[Call] = [
    ("POST", "/channels", {"code": "wechat_group", "name": "微信群", "kind": "indirect"}),
    ("PATCH", "/channels/{ch}", {"name": "展会2"}),
    ("POST", "/custom-fields", {"code": "wine", "label": "葡萄酒", "field_type": "text"}),
    ("PATCH", "/custom-fields/{cf}", {"label": "健康"}),
]
OTHER: list[Call] = [
    ("GET", "/customers/", None),
    ("POST", "/customers/", {"kind": "person", "fields": {"name": "新客户"}}),
    ("GET", "/channels", None),
    ("GET", "/custom-fields", None),
]


def fill(path, body, ids):
    def sub(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return ids[value[1:-1]]
        if isinstance(value, list):
            return [sub(v) for v in value]
        if isinstance(value, dict):
            return {k: sub(v) for k, v in value.items()}
        return value

    return path.format(**ids), sub(body)


@pytest.fixture
def ids(person, org, contact, rep, health_field):
    return {
        "p": person.pk,
        "o": org.pk,
        "k": contact.pk,
        "u": rep.pk,
        "ch": Channel.objects.get(code="exhibition").pk,
        "cf": health_field.pk,
    }


@pytest.mark.parametrize(("method", "path", "body"), CUSTOMER_READS + CUSTOMER_WRITES)
def test_another_reps_customer_is_not_found(other_rep, ids, method, path, body):
    path, body = fill(path, body, ids)
    before = CustomerChange.objects.count()
    response = api(logged_in(other_rep), method, path, body)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert CustomerChange.objects.count() == before


@pytest.mark.parametrize(("method", "path", "body"), CUSTOMER_WRITES + OTHER[1:2])
def test_leader_sees_but_may_not_change(leader, ids, method, path, body):
    path, body = fill(path, body, ids)
    before = (CustomerChange.objects.count(), Customer.objects.count(), Contact.objects.count())
    response = api(logged_in(leader), method, path, body)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    after = (CustomerChange.objects.count(), Customer.objects.count(), Contact.objects.count())
    assert after == before
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize(("method", "path", "body"), CUSTOMER_READS)
def test_leader_reads_every_customer(leader, ids, method, path, body):
    path, body = fill(path, body, ids)
    assert api(logged_in(leader), method, path, body).status_code == 200


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.LEADER])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_WRITES)
def test_only_admins_change_channels_and_custom_fields(make_user, ids, role, method, path, body):
    path, body = fill(path, body, ids)
    response = api(logged_in(make_user(role)), method, path, body)
    assert response.status_code == 403
    assert not Channel.objects.filter(code="wechat_group").exists()
    assert not CustomField.objects.filter(code="wine").exists()
    assert Channel.objects.get(code="exhibition").name != "展会2"


@pytest.mark.parametrize(
    ("method", "path", "body"), CUSTOMER_READS + CUSTOMER_WRITES + ADMIN_WRITES + OTHER
)
def test_anonymous_is_refused_everywhere(ids, method, path, body):
    path, body = fill(path, body, ids)
    response = api(Client(), method, path, body)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- list ------------------------------------------------------------------------------------


def test_list_items_and_filters(rep, other_rep, person, org):
    services.customer_update(
        user=rep, customer=person, data={"tags": ["VIP"], "grade": "important"}
    )
    CustomerFactory(name="别人的", owner=other_rep)
    client = logged_in(rep)
    body = api(client, "GET", "/customers/").json()
    assert [c["name"] for c in body["results"]] == ["杭州宏达机械有限公司", "张伟"]
    item = body["results"][1]
    assert item["owner"] == {"id": rep.pk, "username": "rep1", "display_name": str(rep)}
    assert item["tags"] == ["VIP"]
    assert item["source_channel"] == "exhibition"
    assert item["grade"] == "important"
    assert item["created_at"].endswith("Z") or "+" in item["created_at"]
    assert body["results"][0]["province"] == "浙江省"

    def names(query):
        return [c["name"] for c in api(client, "GET", f"/customers/?{query}").json()["results"]]

    assert names("kind=person") == ["张伟"]
    assert names("grade=important") == ["张伟"]
    assert names("tag=VIP") == ["张伟"]
    assert names("city=杭州市") == ["杭州宏达机械有限公司"]
    assert names("channel=exhibition") == ["张伟"]
    assert names("q=宏达") == ["杭州宏达机械有限公司"]
    assert names(f"owner_id={other_rep.pk}") == []
    assert names("order=name") == sorted(["杭州宏达机械有限公司", "张伟"])
    services.customer_archive(user=rep, customer=person)
    assert names("kind=person") == []
    assert names("status=archived") == ["张伟"]


def test_list_filter_values_are_validated(rep):
    response = api(logged_in(rep), "GET", "/customers/?grade=gold&order=shoe_size")
    assert response.status_code == 422
    assert errors_of(response) == {"grade", "order"}


def test_list_orderings_are_the_selectors(rep):
    assert set(typing.get_args(Ordering)) == set(ORDERINGS)


@pytest.mark.parametrize("order", ["-id", "name", "grade", "-updated_at"])
def test_list_pages_forward_and_back_in_every_order(rep, order):
    for n in range(7):
        CustomerFactory(name=f"客户{n % 3}", owner=rep, grade=["general", "important"][n % 2])
    client = logged_in(rep)
    everything = [
        c["id"] for c in api(client, "GET", f"/customers/?order={order}").json()["results"]
    ]
    assert len(everything) == 7
    # forward, two at a time, across runs of equal names and grades
    seen, pages, url = [], [], f"/api/v1/customers/?order={order}&page_size=2"
    while url:
        page = client.get(url).json()
        pages.append(page)
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert seen == everything
    assert pages[0]["previous"] is None
    # and back from the last page
    back: list[int] = []
    page = pages[-1]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        back = [c["id"] for c in page["results"]] + back
    assert back + [c["id"] for c in pages[-1]["results"]] == everything


@pytest.mark.parametrize(
    ("order", "position"),
    [("-id", "not json"), ("-id", '["x"]'), ("-id", "[1, 2]"), ("-updated_at", '["soon", 1]')],
)
def test_list_bad_cursor_is_a_validation_error(rep, order, position):
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()
    response = api(logged_in(rep), "GET", f"/customers/?order={order}&cursor={cursor}")
    assert response.status_code == 422
    assert errors_of(response) == {"cursor"}


def test_list_query_count_does_not_grow_with_rows(rep):
    client = logged_in(rep)
    customers = [CustomerFactory.create(owner=rep) for _ in range(3)]
    customers[0].tags.create(name="VIP")
    with CaptureQueriesContext(connection) as few:
        api(client, "GET", "/customers/")
    for _ in range(30):
        CustomerFactory.create(owner=rep).tags.create(name=f"t{Customer.objects.count()}")
    with CaptureQueriesContext(connection) as many:
        assert len(api(client, "GET", "/customers/").json()["results"]) == 33
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


# --- create ----------------------------------------------------------------------------------


def test_create_answers_201_with_the_detail(rep):
    response = api(
        logged_in(rep),
        "POST",
        "/customers/",
        {
            "kind": "person",
            "fields": {
                "name": "李娜",
                "phones": ["13800138000"],
                "person.birth_date": "1990-01-02",
            },
            "channel": "visit",
            "note": "来访登记",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "李娜"
    assert body["owner"]["id"] == rep.pk
    fields = {f["code"]: f for f in body["fields"]}
    assert fields["person.birth_date"]["value"] == "1990-01-02"
    assert fields["phones"]["value"] == "138 0013 8000"
    assert fields["phones"]["source"]["channel"] == "visit"
    assert CustomerChange.objects.filter(note="来访登记", channel__code="visit").exists()


def test_create_can_give_the_customer_to_another_owner(rep, other_rep):
    response = api(
        logged_in(rep),
        "POST",
        "/customers/",
        {"kind": "organization", "fields": {"name": "某公司"}, "owner_id": other_rep.pk},
    )
    assert response.status_code == 201
    assert response.json()["owner"]["id"] == other_rep.pk
    assert Customer.objects.get(name="某公司").owner == other_rep
    # which takes it out of the creator's scope
    assert api(logged_in(rep), "GET", f"/customers/{response.json()['id']}").status_code == 404


def test_create_validation_errors_name_the_field_codes(rep):
    response = api(
        logged_in(rep),
        "POST",
        "/customers/",
        {
            "kind": "person",
            "fields": {
                "phones": "12345",
                "person.id_number": "110101199003070012",
                "person.height_cm": "tall",
                "organization.credit_code": "x",
            },
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert errors_of(response) == {
        "name",
        "phones",
        "person.id_number",
        "person.height_cm",
        "organization.credit_code",
    }
    assert all(e["message"] for e in body["errors"])
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "robot", "fields": {"name": "x"}}, "kind"),
        ({"kind": "person", "fields": {"name": "x"}, "channel": "carrier_pigeon"}, "channel"),
        ({"kind": "person", "fields": {"name": "x"}, "owner_id": 999999}, "owner_id"),
        ({"fields": {"name": "x"}}, "kind"),
    ],
)
def test_create_refuses_bad_kind_channel_and_owner(rep, body, field):
    response = api(logged_in(rep), "POST", "/customers/", body)
    assert response.status_code == 422
    assert errors_of(response) == {field}


# --- detail ----------------------------------------------------------------------------------


def test_detail_has_fields_with_masks_sources_and_completeness(rep, person):
    body = api(logged_in(rep), "GET", f"/customers/{person.pk}").json()
    fields = {f["code"]: f for f in body["fields"]}
    id_number = fields["person.id_number"]
    assert id_number["value"] == "110101********0011"
    assert id_number["masked"] is True
    assert id_number["can_reveal"] is False  # a rep may reveal home addresses only
    assert fields["person.home_address"]["can_reveal"] is True
    assert fields["person.gender"]["value"] == "Male"
    assert fields["person.employer"] == {
        "code": "person.employer",
        "label": "employer",
        "group": "career",
        "group_label": "Career",
        "value": "华为",
        "masked": False,
        "can_reveal": False,
        "source": {
            "channel": "exhibition",
            "changed_at": fields["person.employer"]["source"]["changed_at"],
            "changed_by": str(rep),
        },
    }
    assert fields["custom.health"]["masked"] is True
    assert fields["person.school"]["source"] is None
    assert 0 < body["completeness"]["score"] < 100
    assert "e-mails" in body["completeness"]["missing"]
    assert body["as_of"] is None


def test_detail_serialises_dates_and_decimals_as_text(rep, org, contact):
    body = api(logged_in(rep), "GET", f"/customers/{org.pk}").json()
    fields = {f["code"]: f["value"] for f in body["fields"]}
    assert fields["organization.registered_capital"] == "1200.5"
    assert fields["organization.founded_on"] == "2008-05-20"
    assert body["contacts"] == [
        {
            "id": contact.pk,
            "name": "王经理",
            "role": "purchaser",
            "title": "",
            "birthday": None,
            "notes": "",
            "phones": ["+8613900001111"],
            "emails": [],
            "person_id": None,
        }
    ]


def test_detail_reads_in_few_queries_and_none_of_the_channel_table(
    rep, org, contact, person, django_assert_max_num_queries
):
    # given: a token that has been used once (its first use writes last_used_at)
    from kehu.accounts.services import api_token_create

    _row, token = api_token_create(user=rep, name="integration")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api(client, "GET", "/me")
    # when / then: the token; the customer with owner, team, channel and profile (its owner
    # may see it: no query for the rep's teams); one query for its tags, phones and e-mails
    # (its contacts' too) and the ids of its contacts and sharing; the contacts, when it has
    # any (none shared here); the custom fields; the history that gives each field its source.
    # The channel's name comes with the customer. (Before issue 26's detail work: 12 and 10.)
    for customer, budget in ((org, 6), (person, 5)):
        with django_assert_max_num_queries(budget) as queries:
            response = api(client, "GET", f"/customers/{customer.pk}")
        assert response.status_code == 200
        assert not [q for q in queries.captured_queries if '"customers_channel"' in q["sql"][:80]]
    fields = {f["code"]: f for f in response.json()["fields"]}
    assert fields["source_channel"]["value"] == "Exhibition"  # the channel's name, not its code


def test_detail_for_whoever_the_scope_lets_see_it(rep, other_rep, org, contact, make_user):
    # given: a manager of the owner's team, a rep the customer is shared with, a rep it is not
    from kehu.accounts.models import Membership, Team

    team = Team.objects.create(name="华东销售部")
    manager = make_user(username="boss")
    Membership.objects.create(user=manager, team=team, is_manager=True)
    Membership.objects.create(user=rep, team=team)
    services.customer_share(user=rep, customer=org, users=[other_rep])
    outsider = make_user(username="outsider")
    path = f"/customers/{org.pk}"
    # when
    seen = {user: api(logged_in(user), "GET", path) for user in (rep, manager, other_rep)}
    # then: the same answer for each (the same role), with its contact and sharing
    assert {response.status_code for response in seen.values()} == {200}
    assert len({response.content for response in seen.values()}) == 1
    body = seen[rep].json()
    assert [c["name"] for c in body["contacts"]] == [contact.name]
    assert [u["username"] for u in body["shared_with"]] == [other_rep.username]
    assert api(logged_in(outsider), "GET", path).status_code == 404


def test_detail_labels_follow_each_requests_language(rep, person):
    client = logged_in(rep)

    def labels(language):
        response = client.get(f"/api/v1/customers/{person.pk}", HTTP_ACCEPT_LANGUAGE=language)
        name = {f["code"]: f for f in response.json()["fields"]}["name"]
        return name["label"], name["group_label"]

    # labels translated once per process are kept per language, not for the first one asked
    assert [labels(lang) for lang in ("en", "zh-hans", "en", "zh-hans")] == [
        ("name", "Overview"),
        ("名称", "概览"),
        ("name", "Overview"),
        ("名称", "概览"),
    ]


def test_detail_as_of_shows_the_archive_as_it_stood(rep, person):
    CustomerChange.objects.filter(customer=person).update(
        changed_at=timezone.now() - timedelta(days=10)
    )
    Customer.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=10))
    client = logged_in(rep)
    api(client, "PATCH", f"/customers/{person.pk}", {"fields": {"person.employer": "腾讯"}})

    def employer(query=""):
        response = api(client, "GET", f"/customers/{person.pk}{query}")
        return {f["code"]: f["value"] for f in response.json()["fields"]}["person.employer"]

    five_days_ago = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert employer(f"?as_of={five_days_ago}") == "华为"
    assert employer() == "腾讯"
    assert api(client, "GET", f"/customers/{person.pk}?as_of={five_days_ago}").json()["as_of"] == (
        five_days_ago
    )
    too_early = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert api(client, "GET", f"/customers/{person.pk}?as_of={too_early}").status_code == 404
    bad = api(client, "GET", f"/customers/{person.pk}?as_of=yesterday")
    assert bad.status_code == 422
    assert errors_of(bad) == {"as_of"}


# --- update and the other writes -------------------------------------------------------------


def test_patch_changes_only_the_given_fields(rep, person):
    response = api(
        logged_in(rep),
        "PATCH",
        f"/customers/{person.pk}",
        {"fields": {"person.employer": "腾讯", "grade": "special"}, "channel": "visit"},
    )
    assert response.status_code == 200
    body = response.json()
    fields = {f["code"]: f for f in body["fields"]}
    assert fields["person.employer"]["value"] == "腾讯"
    assert fields["person.employer"]["source"]["channel"] == "visit"
    assert body["grade"] == "special"
    assert fields["phones"]["value"] == "138 0013 8000"


def test_patch_validation_error_names_the_field_codes(rep, person):
    response = api(
        logged_in(rep),
        "PATCH",
        f"/customers/{person.pk}",
        {"fields": {"person.height_cm": "999", "emails": "nope", "custom.nothing": "1"}},
    )
    assert response.status_code == 422
    assert errors_of(response) == {"person.height_cm", "emails", "custom.nothing"}


def test_archive_and_restore(rep, person):
    client = logged_in(rep)
    archived = api(client, "POST", f"/customers/{person.pk}/archive", {})
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    assert archived.json()["archived_at"]
    restored = api(client, "POST", f"/customers/{person.pk}/restore")
    assert restored.json()["status"] == "active"
    assert restored.json()["archived_at"] is None


def test_review_sets_reviewed_at_and_records_the_change(rep, person):
    # given a customer never reviewed
    assert person.reviewed_at is None
    # when its rep marks it reviewed
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False):
        response = api(logged_in(rep), "POST", f"/customers/{person.pk}/review", {})
    # then the detail answers the time, stored and recorded in the history
    assert response.status_code == 200
    assert response.json()["id"] == person.pk
    assert response.json()["reviewed_at"].startswith("2026-03-02T09:30:00")
    person.refresh_from_db()
    assert person.reviewed_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert CustomerChange.objects.filter(customer=person, field="reviewed_at").exists()


def test_assign_and_share(rep, other_rep, person):
    client = logged_in(rep)
    shared = api(client, "POST", f"/customers/{person.pk}/share", {"user_ids": [other_rep.pk]})
    assert shared.status_code == 200
    assert [u["username"] for u in shared.json()["shared_with"]] == ["rep2"]
    assert api(logged_in(other_rep), "GET", f"/customers/{person.pk}").status_code == 200
    pooled = api(client, "POST", f"/customers/{person.pk}/assign", {"owner_id": None})
    assert pooled.status_code == 200
    assert pooled.json()["owner"] is None
    assert pooled.json()["status"] == "public_pool"
    # a rep does not see the public pool
    assert api(client, "GET", f"/customers/{person.pk}").status_code == 404


def test_assign_and_share_refuse_unknown_users(rep, person):
    client = logged_in(rep)
    response = api(client, "POST", f"/customers/{person.pk}/assign", {"owner_id": 999999})
    assert errors_of(response) == {"owner_id"}
    response = api(client, "POST", f"/customers/{person.pk}/share", {"user_ids": [999999]})
    assert errors_of(response) == {"user_ids"}
    assert errors_of(api(client, "POST", f"/customers/{person.pk}/assign", {})) == {"owner_id"}


# --- history ---------------------------------------------------------------------------------


def test_history_is_newest_first_masked_and_filterable(rep, person):
    client = logged_in(rep)
    api(
        client,
        "PATCH",
        f"/customers/{person.pk}",
        {"fields": {"person.employer": "腾讯"}, "channel": "visit", "note": "拜访"},
    )
    employer = api(client, "GET", f"/customers/{person.pk}/history?field=person.employer").json()
    assert [(c["old"], c["new"], c["channel"]) for c in employer] == [
        ("华为", "腾讯", "visit"),
        ("", "华为", "exhibition"),
    ]
    assert employer[0]["note"] == "拜访"
    assert employer[0]["changed_by"] == str(rep)
    id_entry = api(client, "GET", f"/customers/{person.pk}/history?field=person.id_number").json()
    assert id_entry[0]["new"] == "110101********0011"
    assert id_entry[0]["masked"] is True
    visits = api(client, "GET", f"/customers/{person.pk}/history?channel=visit").json()
    assert [c["field"] for c in visits] == ["person.employer"]


def test_history_of_a_deactivated_sensitive_custom_field_stays_masked(
    rep, admin_user, person, health_field
):
    services.custom_field_save(
        user=admin_user,
        code="health",
        label="健康状况",
        field_type="text",
        custom_field=health_field,
        is_active=False,
    )
    body = api(logged_in(rep), "GET", f"/customers/{person.pk}/history?field=custom.health")
    assert HEALTH not in body.content.decode()
    assert body.json()[0]["masked"] is True


# --- contacts --------------------------------------------------------------------------------


def test_contacts_add_list_change_and_remove(rep, org, contact):
    client = logged_in(rep)
    created = api(
        client,
        "POST",
        f"/customers/{org.pk}/contacts",
        {
            "name": "李会计",
            "role": "finance",
            "birthday": "1985-06-01",
            "emails": ["LI@example.com"],
        },
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert created.json()["emails"] == ["li@example.com"]
    listed = api(client, "GET", f"/customers/{org.pk}/contacts").json()
    assert [c["name"] for c in listed] == ["王经理", "李会计"]
    changed = api(
        client, "PATCH", f"/customers/{org.pk}/contacts/{contact.pk}", {"title": "总经理"}
    )
    assert changed.status_code == 200
    assert changed.json()["title"] == "总经理"
    assert changed.json()["phones"] == ["+8613900001111"]  # untouched
    assert changed.json()["role"] == "purchaser"
    deleted = api(client, "DELETE", f"/customers/{org.pk}/contacts/{new_id}")
    assert deleted.status_code == 204
    assert list(org.contacts.values_list("name", flat=True)) == ["王经理"]
    # the contact summary in history is name, role and phones: a new title leaves no entry
    assert org.changes.filter(field="contacts").count() == 3


def test_contacts_validation_and_scope(rep, org, person, contact, other_rep):
    client = logged_in(rep)
    response = api(
        client, "POST", f"/customers/{org.pk}/contacts", {"name": " ", "phones": ["123"]}
    )
    assert response.status_code == 422
    assert errors_of(response) == {"name", "phones"}
    # persons have no contacts
    response = api(client, "POST", f"/customers/{person.pk}/contacts", {"name": "某人"})
    assert errors_of(response) == {"customer"}
    # a contact is found only under its own customer
    assert (
        api(client, "PATCH", f"/customers/{person.pk}/contacts/{contact.pk}", {}).status_code == 404
    )
    # and may be linked only to a person customer the user can see
    theirs = CustomerFactory.create(owner=other_rep)
    response = api(
        client, "PATCH", f"/customers/{org.pk}/contacts/{contact.pk}", {"person_id": theirs.pk}
    )
    assert errors_of(response) == {"person_id"}
    linked = api(
        client, "PATCH", f"/customers/{org.pk}/contacts/{contact.pk}", {"person_id": person.pk}
    )
    assert linked.json()["person_id"] == person.pk


# --- reveal ----------------------------------------------------------------------------------


def test_reveal_gives_the_clear_value_and_is_audited(make_user, person):
    archivist = make_user(Role.ARCHIVE_ADMIN)
    client = logged_in(archivist)
    response = api(client, "POST", f"/customers/{person.pk}/reveal", {"field": "person.id_number"})
    assert response.status_code == 200
    assert response.json() == {
        "field": "person.id_number",
        "change_id": None,
        "value": ID_MALE_1990,
    }
    event = AuditEvent.objects.get(action="reveal")
    assert event.actor == archivist
    assert event.object_id == str(person.pk)
    assert event.detail["field"] == "person.id_number"
    # a history entry's value
    change = person.changes.get(field="custom.health")
    response = api(
        client,
        "POST",
        f"/customers/{person.pk}/reveal",
        {"field": "custom.health", "change_id": change.pk},
    )
    assert response.json()["value"] == HEALTH
    assert AuditEvent.objects.filter(action="reveal").count() == 2


def test_reveal_follows_the_role(rep, person):
    client = logged_in(rep)
    address = api(
        client, "POST", f"/customers/{person.pk}/reveal", {"field": "person.home_address"}
    )
    assert address.json()["value"] == HOME
    refused = api(client, "POST", f"/customers/{person.pk}/reveal", {"field": "person.id_number"})
    assert refused.status_code == 403
    assert ID_MALE_1990 not in refused.content.decode()
    not_sensitive = api(client, "POST", f"/customers/{person.pk}/reveal", {"field": "name"})
    assert not_sensitive.status_code == 422
    assert errors_of(not_sensitive) == {"field"}
    assert AuditEvent.objects.filter(action="reveal").count() == 1


# --- channels and custom fields --------------------------------------------------------------


def test_channels_are_listed_for_everyone_and_changed_by_admins(rep, admin_user):
    codes = [c["code"] for c in api(logged_in(rep), "GET", "/channels").json()]
    assert {"exhibition", "visit", "direct_entry"} <= set(codes)
    client = logged_in(admin_user)
    created = api(
        client, "POST", "/channels", {"code": "wechat_group", "name": "微信群", "kind": "indirect"}
    )
    assert created.status_code == 201
    assert created.json()["name_en"] == "微信群"
    changed = api(
        client,
        "PATCH",
        f"/channels/{created.json()['id']}",
        {"name_en": "WeChat group", "is_active": False},
    )
    assert changed.status_code == 200
    assert changed.json()["name_en"] == "WeChat group"
    assert changed.json()["is_active"] is False
    assert changed.json()["kind"] == "indirect"
    clash = api(client, "POST", "/channels", {"code": "visit", "name": "x", "kind": "direct"})
    assert errors_of(clash) == {"code"}
    assert api(client, "PATCH", "/channels/999999", {"name": "x"}).status_code == 404


def test_custom_fields_are_listed_for_everyone_and_changed_by_admins(rep, admin_user):
    client = logged_in(admin_user)
    created = api(
        client,
        "POST",
        "/custom-fields",
        {"code": "wine", "label": "葡萄酒偏好", "field_type": "choice", "choices": ["红", "白"]},
    )
    assert created.status_code == 201
    assert created.json()["choices"] == ["红", "白"]
    changed = api(
        client,
        "PATCH",
        f"/custom-fields/{created.json()['id']}",
        {"choices": ["红", "白", "桃红"], "label_en": "Wine"},
    )
    assert changed.json()["choices"] == ["红", "白", "桃红"]
    assert changed.json()["field_type"] == "choice"
    listed = api(logged_in(rep), "GET", "/custom-fields").json()
    assert [f["code"] for f in listed] == ["wine"]
    invalid = api(
        client, "POST", "/custom-fields", {"code": "x", "label": "X", "field_type": "choice"}
    )
    assert errors_of(invalid) == {"choices"}
    # the new field is usable at once
    customer = api(
        logged_in(rep),
        "POST",
        "/customers/",
        {"kind": "person", "fields": {"name": "张三", "custom.wine": "桃红"}},
    ).json()
    assert {f["code"]: f["value"] for f in customer["fields"]}["custom.wine"] == "桃红"


# --- no clear sensitive value anywhere but /reveal --------------------------------------------


def test_no_response_but_reveal_contains_a_clear_sensitive_value(admin_user, person, ids):
    # The admin may reveal every group, so nothing is hidden for lack of rights alone.
    client = logged_in(admin_user)
    secrets = [ID_MALE_1990, "建国路", "2万以上", HEALTH]
    calls: list[Call] = [*CUSTOMER_READS, *OTHER, *CUSTOMER_WRITES, *ADMIN_WRITES]
    calls += [
        ("GET", "/customers/{p}/history?field=person.id_number", None),
        ("GET", f"/customers/{{p}}?as_of={timezone.localdate().isoformat()}", None),
        ("GET", "/customers/?kind=person", None),
        ("PATCH", "/customers/{p}", {"fields": {"person.id_number": "110101199003070012"}}),
        ("POST", "/customers/", {"kind": "person", "fields": {"person.id_number": ID_MALE_1990}}),
    ]
    revealed = 0
    for method, path, body in calls:
        path, body = fill(path, body, ids)
        response = api(client, method, path, body)
        assert response.status_code < 500, (method, path)
        text = response.content.decode()
        if path.endswith("/reveal"):
            revealed += 1
            assert ID_MALE_1990 in text
            continue
        for secret in secrets:
            assert secret not in text, (method, path, secret)
    assert revealed == 1
    openapi = client.get("/api/v1/openapi.json").content.decode()
    assert all(secret not in openapi for secret in secrets)


def test_openapi_schema_renders(admin_user):
    response = logged_in(admin_user).get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/customers/",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/archive",
        "/api/v1/customers/{customer_id}/restore",
        "/api/v1/customers/{customer_id}/assign",
        "/api/v1/customers/{customer_id}/share",
        "/api/v1/customers/{customer_id}/history",
        "/api/v1/customers/{customer_id}/reveal",
        "/api/v1/customers/{customer_id}/contacts/",
        "/api/v1/customers/{customer_id}/contacts/{contact_id}",
        "/api/v1/channels/",
        "/api/v1/channels/{channel_id}",
        "/api/v1/custom-fields/",
        "/api/v1/custom-fields/{custom_field_id}",
    } <= set(paths)
