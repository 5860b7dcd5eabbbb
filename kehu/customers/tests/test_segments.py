"""Segments (saved filters) and the list page's cost: filters incl. custom fields and date
ranges, private and team segments, counts in the viewer's scope, the nightly job, the API, and
query counts that do not grow with the rows."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.accounts.tests.factories import MembershipFactory, TeamFactory
from kehu.core.pagination import CappedPaginator
from kehu.customers import segments, services
from kehu.customers.models import Segment
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.tasks import refresh_segment_counts
from kehu.customers.tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_of_two(make_user):
    team = TeamFactory()
    manager = make_user(Role.SALES_REP, username="manager")
    member = make_user(Role.SALES_REP, username="member")
    MembershipFactory(user=manager, team=team, is_manager=True)
    MembershipFactory(user=member, team=team)
    return team, manager, member


@pytest.fixture
def wine(admin_user):
    return services.custom_field_save(
        user=admin_user,
        code="wine",
        label="红酒",
        field_type="multi_choice",
        choices=["波尔多", "勃艮第"],
    )


def test_filters_by_custom_fields_and_date_ranges(rep, wine, admin_user):
    # given
    with time_machine.travel(date(2026, 1, 10)):
        old = make_person(rep, "张伟", **{"custom.wine": ["波尔多"]})
    with time_machine.travel(date(2026, 3, 10)):
        new = make_person(rep, "李娜", **{"custom.wine": ["波尔多", "勃艮第"]})
        make_person(rep, "王芳", **{"custom.wine": ["勃艮第"]})
    bordeaux = CustomerFilters(custom=(("wine", "波尔多"),))
    # then
    assert set(customer_list(user=rep, filters=bordeaux)) == {old, new}
    march = CustomerFilters(created_from=date(2026, 3, 1), created_to=date(2026, 3, 10))
    assert {c.name for c in customer_list(user=rep, filters=march)} == {"李娜", "王芳"}
    both = CustomerFilters(custom=(("wine", "波尔多"),), created_from=date(2026, 3, 1))
    assert list(customer_list(user=rep, filters=both)) == [new]


def test_a_sensitive_custom_field_cannot_be_filtered_on(rep, admin_user):
    services.custom_field_save(
        user=admin_user, code="illness", label="病史", field_type="text", sensitive=True
    )
    make_person(rep, "张伟", **{"custom.illness": "高血压"})
    filters = CustomerFilters(custom=(("illness", "高血压"),))
    assert list(customer_list(user=rep, filters=filters)) == []


def test_a_segment_keeps_its_filters_and_counts_live(rep, wine):
    # given
    make_person(rep, "张伟", grade="important", **{"custom.wine": ["波尔多"]})
    filters = CustomerFilters(
        grade="important", custom=(("wine", "波尔多"),), created_from=date(2026, 1, 1)
    )
    # when
    segment = segments.segment_save(user=rep, name="重要的波尔多客户", filters=filters)
    # then
    assert segment.last_count == 1
    assert segments.filters_from_json(Segment.objects.get().filters) == filters
    make_person(rep, "李娜", grade="important", **{"custom.wine": ["波尔多"]})
    assert segments.segment_count(user=rep, segment=segment) == 2
    assert segment.last_count == 1  # until refreshed
    refresh_segment_counts.call_local()
    segment.refresh_from_db()
    assert segment.last_count == 2
    assert segment.counted_at is not None


def test_private_segments_stay_private_and_team_segments_count_in_the_viewers_scope(
    team_of_two, other_rep
):
    # given
    _team, manager, member = team_of_two
    make_person(manager, "张伟", grade="important")
    make_person(member, "李娜", grade="important")
    important = CustomerFilters(grade="important")
    shared = segments.segment_save(
        user=manager, name="重要客户", filters=important, visibility="team"
    )
    private = segments.segment_save(user=manager, name="我的", filters=important)
    # then
    assert shared.last_count == 2  # the manager sees the member's customers
    assert set(segments.segments_visible_to(member)) == {shared}
    assert segments.segment_count(user=member, segment=shared) == 1  # only the member's own
    assert set(segments.segments_visible_to(other_rep)) == set()
    assert private not in segments.segments_visible_to(member)


def test_only_the_owner_changes_a_segment(team_of_two):
    from django.core.exceptions import PermissionDenied

    _team, manager, member = team_of_two
    segment = segments.segment_save(
        user=manager, name="重要客户", filters=CustomerFilters(), visibility="team"
    )
    with pytest.raises(PermissionDenied):
        segments.segment_delete(user=member, segment=segment)


def test_segments_api(rep, other_rep, wine, client: Client):
    # given
    make_person(rep, "张伟", **{"custom.wine": ["波尔多"]})
    make_person(rep, "李娜")
    client.force_login(rep)
    body = {"name": "波尔多", "filters": {"custom": [["wine", "波尔多"]], "order": "name"}}
    # when
    created = client.post("/api/v1/segments/", body, content_type="application/json")
    # then
    assert created.status_code == 201, created.content
    segment_id = created.json()["id"]
    assert created.json()["last_count"] == 1
    customers = client.get(f"/api/v1/segments/{segment_id}/customers")
    assert [c["name"] for c in customers.json()["results"]] == ["张伟"]
    assert client.get(f"/api/v1/segments/{segment_id}/count").json() == {"count": 1}
    bad = client.post(
        "/api/v1/segments/", {"name": "x", "filters": {"colour": "red"}}, "application/json"
    )
    assert bad.status_code == 422
    # and another rep does not see it
    client.force_login(other_rep)
    assert client.get(f"/api/v1/segments/{segment_id}").status_code == 404
    assert client.get(f"/api/v1/segments/{segment_id}/customers").status_code == 404


def test_saving_a_segment_from_the_list_page(rep, client: Client):
    make_person(rep, "张伟", grade="important")
    client.force_login(rep)
    answer = client.post(
        "/customers/segments/new/",
        {"name": "重要", "visibility": "private", "query": "grade=important&cf_wine=波尔多"},
    )
    assert answer.status_code == 302
    segment = Segment.objects.get()
    assert segment.filters == {"grade": "important", "custom": [["wine", "波尔多"]]}
    page = client.get("/customers/segments/")
    assert "重要" in page.content.decode()
    assert "grade=important" in page.content.decode()


# --- list cost ----------------------------------------------------------------------------


def test_the_list_count_is_capped(rep):
    for n in range(5):
        make_person(rep, f"张伟{n}")
    paginator = CappedPaginator(customer_list(user=rep, filters=CustomerFilters()), 2, cap=3)
    assert paginator.count == 3
    assert paginator.capped
    assert paginator.num_pages == 2
    exact = CappedPaginator(customer_list(user=rep, filters=CustomerFilters()), 2, cap=10)
    assert (exact.count, exact.capped) == (5, False)


def test_list_search_uses_the_index_and_keeps_its_query_count(rep, client: Client):
    # given
    client.force_login(rep)
    make_person(rep, "张伟", phones=["13800138000"], tags=["VIP"])

    def get(params):
        with CaptureQueriesContext(connection) as captured:
            answer = client.get("/customers/", params)
        assert answer.status_code == 200
        return answer, len(captured)

    answer, few = get({"q": "zw", "grade": "general"})
    assert "张伟" in answer.content.decode()
    for n in range(20):
        make_person(rep, f"张伟{n}", tags=["VIP"], phones=[f"1380013{n:04d}"])
    answer, many = get({"q": "zw", "grade": "general"})
    # then
    assert many == few
    assert get({"q": "8000"})[0].content.decode().count('href="/customers/') >= 1
    assert "李" not in get({"q": "zw"})[0].content.decode()


def test_the_segments_page_query_count_does_not_grow(rep, client: Client):
    client.force_login(rep)
    segments.segment_save(user=rep, name="一", filters=CustomerFilters())

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/customers/segments/").status_code == 200
        return len(captured)

    few = count()
    for n in range(10):
        segments.segment_save(user=rep, name=f"段{n}", filters=CustomerFilters(grade="general"))
    assert count() == few


def test_date_ranges_are_whole_days_in_the_configured_zone(rep):
    with time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))):
        customer = make_person(rep, "张伟")
    day = timezone.localdate(customer.created_at)
    on_day = CustomerFilters(created_from=day, created_to=day)
    assert list(customer_list(user=rep, filters=on_day)) == [customer]
    after = CustomerFilters(created_from=day + timedelta(days=1))
    assert list(customer_list(user=rep, filters=after)) == []
