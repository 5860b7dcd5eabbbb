"""Customer search: every way of finding a customer, ranking, scope, and the index kept in step.

Runs on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``): the index is plain tables and
prefix ranges, so both must answer the same.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kehu.accounts.models import Role
from kehu.accounts.tests.factories import MembershipFactory, TeamFactory
from kehu.core.pinyin import syllables
from kehu.customers import services
from kehu.customers.models import Customer, CustomField
from kehu.customers.tests.factories import make_organization, make_person
from kehu.search.models import SearchTerm
from kehu.search.selectors import Rank, customer_search
from kehu.search.services import search_index_rebuild, search_index_update
from kehu.search.terms import name_terms

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"
CREDIT_CODE = "91350100M000100Y43"


def names(user, q, **kwargs):
    return [hit.customer.name for hit in customer_search(user=user, q=q, **kwargs).hits]


# --- pinyin and terms -------------------------------------------------------------------------


def test_pinyin_reads_surnames_as_surnames_and_phrases_in_context():
    assert syllables("曾国藩", person=True) == ["zeng", "guo", "fan"]
    assert syllables("单田芳", person=True) == ["shan", "tian", "fang"]
    assert syllables("中国银行")[-1] == "hang"
    assert syllables("ABC贸易") == ["mao", "yi"]


def test_a_two_character_name_has_text_pinyin_and_initials_terms():
    assert name_terms("张伟", person=True) == {"A张伟", "a伟", "P" + "zhangwei", "Jzw", "pwei"}


def test_legal_forms_start_no_substring_terms():
    terms = name_terms("上海华信科技有限公司", person=False)
    assert "a华信科技有限公司" in terms
    assert not any(t.startswith(("a公司", "a有限", "a限公司")) for t in terms)


# --- each way of searching ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张伟", "张伟"),  # two characters, the whole name
        ("伟明", "张伟明"),  # a substring of a name
        ("华信", "上海华信科技有限公司"),  # a substring of a company name
        ("上海华信", "上海华信科技有限公司"),  # its start
        ("zhangwei", "张伟"),  # full pinyin
        ("ZhangWei", "张伟"),  # any case
        ("zw", "张伟"),  # initials
        ("张w", "张伟"),  # mixed
        ("huaxin", "上海华信科技有限公司"),  # pinyin of a part of a company name
        ("hxkj", "上海华信科技有限公司"),  # initials of a part
    ],
)
def test_finds_by_name_substring_and_pinyin(rep, query, expected):
    # given
    make_person(rep, "张伟", phones=["13800138000"])
    make_person(rep, "张伟明")
    make_person(rep, "李娜")
    make_organization(rep, "上海华信科技有限公司")
    # then
    assert expected in names(rep, query)
    assert "李娜" not in names(rep, query)


def test_one_character_finds_names_starting_with_it_first(rep):
    make_person(rep, "张伟")
    make_person(rep, "李张")
    assert names(rep, "张") == ["张伟", "李张"]


@pytest.mark.parametrize(
    "query", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "8000", "38000", "00138000"]
)
def test_finds_by_phone_whole_in_any_format_or_its_last_digits(rep, query):
    make_person(rep, "王芳", phones=["13800138000"])
    make_person(rep, "赵强", phones=["13911112222"])
    assert names(rep, query) == ["王芳"]


def test_finds_a_landline_typed_with_its_trunk_prefix(rep):
    make_person(rep, "王芳", phones=["010-62345678"])
    assert names(rep, "010-62345678") == ["王芳"]
    assert names(rep, "5678") == ["王芳"]


def test_three_digits_are_not_a_phone_search(rep):
    make_person(rep, "王芳", phones=["13800138000"])
    assert names(rep, "000") == []


def test_finds_by_email_id_number_and_credit_code_exactly_never_by_a_part(rep):
    # given
    make_person(rep, "王芳", emails=["lucy.w@example.com"], **{"person.id_number": ID_MALE_1990})
    make_organization(rep, "福州云帆贸易有限公司", **{"organization.credit_code": CREDIT_CODE})
    # then: the whole value, in any case
    assert names(rep, "Lucy.W@Example.com") == ["王芳"]
    assert names(rep, ID_MALE_1990) == ["王芳"]
    assert names(rep, CREDIT_CODE.lower()) == ["福州云帆贸易有限公司"]
    # and never a part of it
    assert names(rep, "lucy.w@example") == []
    assert names(rep, "lucy.w") == []
    assert names(rep, ID_MALE_1990[:14]) == []
    assert names(rep, CREDIT_CODE[:10]) == []


def test_the_index_holds_no_clear_sensitive_value(rep):
    make_person(rep, "王芳", emails=["lucy.w@example.com"], **{"person.id_number": ID_MALE_1990})
    terms = list(SearchTerm.objects.values_list("term", flat=True))
    assert not any("lucy" in t or ID_MALE_1990[-6:] in t for t in terms)


def test_finds_by_tag_and_searchable_custom_fields_only(rep, admin_user):
    # given
    wine = services.custom_field_save(
        user=admin_user, code="wine", label="红酒偏好", field_type="text", searchable=True
    )
    services.custom_field_save(
        user=admin_user, code="shoe", label="鞋码", field_type="text", searchable=False
    )
    services.custom_field_save(
        user=admin_user,
        code="illness",
        label="病史",
        field_type="text",
        searchable=True,
        sensitive=True,
    )
    make_person(rep, "王芳", tags=["高净值"], **{"custom.wine": "波尔多", "custom.shoe": "四十二"})
    make_person(rep, "赵强", **{"custom.illness": "高血压"})
    # then
    assert names(rep, "高净值") == ["王芳"]
    assert names(rep, "波尔多") == ["王芳"]
    assert names(rep, "四十二") == []  # not searchable
    assert names(rep, "高血压") == []  # sensitive: never indexed
    assert wine.searchable


def test_finds_contacts_of_organizations_and_says_so(rep):
    # given
    company = make_organization(rep, "福州云帆贸易有限公司")
    services.contact_save(
        user=rep, customer=company, data={"name": "陈静", "phones": ["13700001111"]}
    )
    # when
    result = customer_search(user=rep, q="陈静")
    phone = customer_search(user=rep, q="1111")
    # then
    assert [h.customer.name for h in result.hits] == ["福州云帆贸易有限公司"]
    assert result.hits[0].source == SearchTerm.Source.CONTACT
    assert result.hits[0].matched == "陈静"
    assert phone.hits[0].matched == "137****1111"


def test_results_show_phones_masked(rep):
    make_person(rep, "王芳", phones=["13800138000"])
    hit = customer_search(user=rep, q="王芳").hits[0]
    assert hit.phones == ["138****8000"]


# --- ranking ----------------------------------------------------------------------------------


def test_exact_before_prefix_before_substring(archivist):
    # given, created in the "wrong" order
    make_person(archivist, "李张伟")  # substring
    make_person(archivist, "张伟强")  # prefix
    make_person(archivist, "张伟")  # exact
    # when
    hits = customer_search(user=archivist, q="张伟").hits
    # then
    assert [h.customer.name for h in hits] == ["张伟", "张伟强", "李张伟"]
    assert [h.rank for h in hits] == [Rank.EXACT, Rank.PREFIX, Rank.SUBSTRING]


def test_a_reps_own_customers_come_first(make_user):
    # given: a team manager who also sees a member's customers
    team = TeamFactory()
    manager = make_user(Role.SALES_REP, username="manager")
    member = make_user(Role.SALES_REP, username="member")
    MembershipFactory(user=manager, team=team, is_manager=True)
    MembershipFactory(user=member, team=team)
    for _ in range(3):
        make_person(member, "张伟")
    make_person(manager, "张伟")
    # when
    hits = customer_search(user=manager, q="张伟").hits
    # then
    assert len(hits) == 4
    assert hits[0].own
    assert hits[0].customer.owner == manager


# --- scope ------------------------------------------------------------------------------------


def test_a_rep_never_finds_or_counts_another_reps_customers(rep, other_rep):
    # given
    mine = make_person(rep, "张伟", phones=["13800138000"])
    make_person(other_rep, "张伟", phones=["13800138001"], emails=["x@example.com"])
    for _ in range(25):
        make_person(other_rep, "张伟明")
    # when
    by_name = customer_search(user=rep, q="张伟", limit=1)
    # then
    assert [h.customer for h in by_name.hits] == [mine]
    assert by_name.more is False  # 26 matches exist, none the rep's but one
    assert names(rep, "8001") == []
    assert names(rep, "x@example.com") == []
    assert names(rep, "zwm") == []


def test_the_api_answers_in_scope_and_refuses_strangers(rep, other_rep, client: Client):
    # given
    make_person(rep, "张伟", phones=["13800138000"])
    make_person(other_rep, "张伟强")
    client.force_login(rep)
    # when
    answer = client.get("/api/v1/search", {"q": "zw"})
    # then
    assert answer.status_code == 200
    body = answer.json()
    assert [r["name"] for r in body["results"]] == ["张伟"]
    assert body["results"][0]["phones"] == ["138****8000"]
    assert body["results"][0]["own"] is True
    assert body["more"] is False
    assert "count" not in body
    assert Client().get("/api/v1/search", {"q": "zw"}).status_code == 401


def test_a_stale_owner_copy_in_the_index_never_leaks(rep, other_rep):
    # given: a customer given away by a raw update that did not re-index
    customer = make_person(rep, "张伟")
    Customer.objects.filter(pk=customer.pk).update(owner=other_rep)
    # then: the index still says rep, the scope check does not
    assert SearchTerm.objects.filter(customer=customer, owner_id=rep.pk).exists()
    assert names(rep, "张伟") == []


def test_pool_customers_are_found_by_roles_that_see_all_not_by_reps(rep, archivist):
    services.customer_create(
        user=archivist, kind="person", data={"name": "孙丽"}, assign_to_creator=False
    )
    assert names(archivist, "孙丽") == ["孙丽"]
    assert names(rep, "孙丽") == []


# --- keeping the index in step --------------------------------------------------------------


def test_the_index_follows_updates_archive_restore_and_assignment(rep, other_rep, archivist):
    # given
    customer = make_person(rep, "张伟")
    # when renamed
    services.customer_update(user=rep, customer=customer, data={"name": "张卫东"})
    # then
    assert names(rep, "zwd") == ["张卫东"]
    assert names(rep, "zwei") == []  # the old name's mixed initials and pinyin are gone
    assert names(rep, "张伟") == []
    # when archived and restored
    services.customer_archive(user=rep, customer=customer)
    assert names(archivist, "张卫东") == []
    assert not SearchTerm.objects.filter(customer=customer).exists()
    services.customer_restore(user=archivist, customer=customer)
    assert names(rep, "张卫东") == ["张卫东"]
    # when given to another rep
    services.customer_assign(user=archivist, customer=customer, owner=other_rep)
    assert names(rep, "张卫东") == []
    assert names(other_rep, "张卫东") == ["张卫东"]


def test_the_index_follows_contacts(rep):
    company = make_organization(rep, "福州云帆贸易有限公司")
    contact = services.contact_save(user=rep, customer=company, data={"name": "陈静"})
    assert names(rep, "cj") == ["福州云帆贸易有限公司"]
    services.contact_delete(user=rep, contact=contact)
    assert names(rep, "cj") == []


def test_an_import_that_writes_rows_itself_indexes_through_the_update_function(rep):
    # given: rows written without the services (as a bulk importer or the demo loader does)
    customer = Customer.objects.create(name="欧阳娜娜", owner=rep)
    assert names(rep, "oynn") == []
    # when
    search_index_update(customer_ids=[customer.pk])
    # then
    assert names(rep, "oynn") == ["欧阳娜娜"]


def test_a_merge_reindexes_both_customers(rep):
    # given: what a merge will do — the duplicate marked merged, its contact moved over
    keep = make_organization(rep, "福州云帆贸易有限公司")
    duplicate = make_organization(rep, "云帆贸易")
    services.contact_save(user=rep, customer=duplicate, data={"name": "陈静"})
    duplicate.contacts.update(customer=keep)
    Customer.objects.filter(pk=duplicate.pk).update(status=Customer.Status.MERGED)
    # when
    search_index_update(customer_ids=[keep.pk, duplicate.pk])
    # then
    assert names(rep, "云帆") == ["福州云帆贸易有限公司"]
    assert names(rep, "陈静") == ["福州云帆贸易有限公司"]


def test_a_rebuild_gives_the_same_index(rep, admin_user):
    make_person(rep, "张伟", phones=["13800138000"], tags=["VIP"])
    make_organization(rep, "上海华信科技有限公司", **{"organization.credit_code": CREDIT_CODE})
    before = sorted(SearchTerm.objects.values_list("term", "customer_id", "source"))
    SearchTerm.objects.all().delete()
    search_index_rebuild(batch_size=1)
    after = sorted(SearchTerm.objects.values_list("term", "customer_id", "source"))
    assert after == before


def test_the_demo_loader_fills_the_index(db):
    from django.core.management import call_command

    call_command("demo", "--customers", "40", "--seed", "3", "--order-lines", "0", verbosity=0)
    indexed = set(SearchTerm.objects.values_list("customer_id", flat=True))
    searchable = set(
        Customer.objects.filter(status__in=["active", "public_pool"]).values_list("pk", flat=True)
    )
    assert indexed == searchable
    loaded = sorted(SearchTerm.objects.values_list("term", "customer_id", "source"))
    search_index_rebuild()
    assert sorted(SearchTerm.objects.values_list("term", "customer_id", "source")) == loaded


def test_a_custom_field_becomes_searchable_after_a_rebuild(rep, admin_user):
    field = services.custom_field_save(
        user=admin_user, code="wine", label="红酒偏好", field_type="text"
    )
    make_person(rep, "王芳", **{"custom.wine": "波尔多"})
    assert names(rep, "波尔多") == []
    CustomField.objects.filter(pk=field.pk).update(searchable=True)
    search_index_rebuild()
    assert names(rep, "波尔多") == ["王芳"]


# --- cost ---------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_results(archivist, client: Client):
    # given
    client.force_login(archivist)
    make_person(archivist, "张伟", phones=["13800138000"])
    first = make_organization(archivist, "张旺贸易有限公司")
    services.contact_save(user=archivist, customer=first, data={"name": "赵武"})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/search", {"q": "zw"}).status_code == 200
        return len(captured)

    one = queries()
    for n in range(15):
        company = make_organization(archivist, f"张旺{n}号贸易有限公司")
        services.contact_save(user=archivist, customer=company, data={"name": "赵武"})
    # then
    assert queries() == one
    assert one <= 8


def test_the_top_bar_search_answers_htmx_with_a_fragment(rep, client: Client):
    make_person(rep, "张伟")
    client.force_login(rep)
    fragment = client.get("/search/", {"q": "zw"}, HTTP_HX_REQUEST="true")
    page = client.get("/search/", {"q": "zw"})
    assert fragment.status_code == page.status_code == 200
    assert b"<html" not in fragment.content
    assert "张伟" in fragment.content.decode()
    assert b'data-testid="topbar-search"' in page.content


@pytest.mark.django_db
def test_the_search_forms_post_the_query(client, rep):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(rep)
    page = csrf_client.get("/")
    assert '<form class="topbar-search" role="search" method="post"' in page.text
    assert "hx-post=" in page.text
    assert 'hx-get="/search/"' not in page.text
    token = csrf_client.cookies["kehu_csrftoken"].value
    response = csrf_client.post("/search/", {"q": "13800138000", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Client(enforce_csrf_checks=True).post("/search/", {"q": "x"}).status_code in {302, 403}
