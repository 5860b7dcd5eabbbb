"""Data quality on a small crafted archive: each metric finds exactly the customers planted for
it, the drill-down lists them, snapshots keep a trend, "mark as reviewed" changes freshness,
and only archive administrators (and admins) see any of it."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.core.creditcode import make_credit_code
from kehu.core.idcard import make_id_number
from kehu.customers import services as customer_services
from kehu.customers.models import (
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.tests.factories import make_organization, make_person
from kehu.quality import metrics, services
from kehu.quality.models import QualitySnapshot
from kehu.quality.selectors import quality_issue_customers, quality_latest

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"  # Beijing, 1990-03-07, male
ID_FEMALE_1985 = make_id_number(
    region_code="110101", birth_date=date(1985, 1, 1), sequence=2, gender="female"
)
ID_MALE_1990_JAN = make_id_number(
    region_code="110101", birth_date=date(1990, 1, 1), sequence=1, gender="male"
)


@pytest.fixture
def archive(rep):
    """One customer per problem, plus a clean one."""
    made = {
        "clean": make_person(
            rep,
            "干净",
            address="北京市东城区王府井大街1号",
            phones="13800138000",
            emails="a@example.com",
            **{"person.id_number": ID_MALE_1990},
        ),
        "birth": make_person(rep, "生日不符", **{"person.id_number": ID_FEMALE_1985}),
        "gender": make_person(rep, "性别不符", **{"person.id_number": ID_MALE_1990_JAN}),
        "bad_id": make_person(rep, "坏身份证"),
        "bad_phone": make_person(rep, "坏电话"),
        "bad_email": make_person(rep, "坏邮箱"),
        "future": make_person(rep, "未来生日"),
        "no_region": make_person(rep, "无地区", address="火星基地一号"),
        "phone_region": make_person(
            rep, "电话地区不符", address="杭州市西湖区文三路1号", phones="13800138001"
        ),
        "code_region": make_organization(
            rep,
            "信用代码地区不符",
            address="北京市东城区王府井大街2号",
            **{"organization.credit_code": make_credit_code(region_code="330106", sequence=7)},
        ),
        "same_name_1": make_organization(
            rep,
            "同名有限公司",
            **{"organization.credit_code": make_credit_code(region_code="110101", sequence=1)},
        ),
        "same_name_2": make_organization(
            rep,
            "同名有限公司",
            **{"organization.credit_code": make_credit_code(region_code="110101", sequence=2)},
        ),
        "bad_code": make_organization(rep, "坏信用代码"),
    }
    # Values the services refuse, as they arrive from old systems or raw imports.
    PersonProfile.objects.filter(customer=made["birth"]).update(birth_date=date(1986, 2, 2))
    PersonProfile.objects.filter(customer=made["gender"]).update(gender="female")
    PersonProfile.objects.filter(customer=made["bad_id"]).update(id_number="110101199003070012")
    Phone.objects.create(customer=made["bad_phone"], number="+86123")
    Email.objects.create(customer=made["bad_email"], address="not-an-address")
    PersonProfile.objects.filter(customer=made["future"]).update(
        birth_date=timezone.localdate() + timedelta(days=30)
    )
    OrganizationProfile.objects.filter(customer=made["bad_code"]).update(
        credit_code="91110000MA00000000"
    )
    # An archived customer with every problem does not count.
    gone = make_person(rep, "已归档", phones="13800138002")
    Phone.objects.create(customer=gone, number="+86999")
    customer_services.customer_archive(user=rep, customer=gone)
    return made


def rule(snapshot, code):
    family = metrics.RULES[code].family
    return snapshot.metrics[family]["rules"][code]


def issue_names(user, metric, snapshot, **params):
    found = quality_issue_customers(user=user, metric=metric, snapshot=snapshot, **params)
    return sorted(c.name for c in found.customers)


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("id_number", ["坏身份证"]),
        ("phones", ["坏电话"]),
        ("emails", ["坏邮箱"]),
        ("credit_code", ["坏信用代码"]),
        ("dates", ["未来生日"]),
        ("region", ["无地区"]),
        ("id_birth_date", ["生日不符"]),
        ("id_gender", ["性别不符"]),
        ("phone_region", ["电话地区不符"]),
        ("credit_code_region", ["信用代码地区不符"]),
        ("org_name_codes", ["同名有限公司", "同名有限公司"]),
    ],
)
def test_each_rule_finds_the_planted_customers_and_drills_down_to_them(
    archive, archivist, code, names
):
    snapshot = services.quality_snapshot_take()
    counts = rule(snapshot, code)
    assert counts["customers"] == len(names)
    assert counts["failing"] == len(names)
    assert counts["checked"] >= counts["failing"]
    assert issue_names(archivist, code, snapshot) == names


def test_validity_counts_values_checked(archive):
    snapshot = services.quality_snapshot_take()
    # 3 ID numbers (clean, birth, gender) valid + 1 broken; archived customers left out
    assert rule(snapshot, "id_number") == {"checked": 4, "failing": 1, "customers": 1}
    assert rule(snapshot, "phones") == {"checked": 3, "failing": 1, "customers": 1}
    validity = snapshot.metrics["validity"]
    checked = sum(r["checked"] for r in validity["rules"].values())
    failing = sum(r["failing"] for r in validity["rules"].values())
    assert validity["share"] == round(100 * (checked - failing) / checked, 1)


def test_completeness_per_kind_and_field(rep, archivist):
    make_person(rep, "有电话", phones="13800138000", address="北京市东城区王府井大街1号")
    make_person(rep, "无电话")
    make_organization(rep, "公司", **{"organization.industry": "制造业"})
    snapshot = services.quality_snapshot_take()
    by_kind = snapshot.metrics["completeness"]["by_kind"]
    assert by_kind["person"]["customers"] == 2
    assert by_kind["person"]["fields"]["phones"] == {"filled": 1, "total": 2}
    assert by_kind["person"]["fields"]["address"] == {"filled": 1, "total": 2}
    assert by_kind["person"]["fields"]["name"] == {"filled": 2, "total": 2}
    assert by_kind["person"]["fields"]["person.id_number"] == {"filled": 0, "total": 2}
    assert by_kind["organization"]["fields"]["organization.industry"] == {"filled": 1, "total": 1}
    assert "person.gender" not in by_kind["organization"]["fields"]
    assert issue_names(archivist, "missing", snapshot, kind="person", field="phones") == ["无电话"]
    missing_industry = issue_names(
        archivist, "missing", snapshot, kind="organization", field="organization.industry"
    )
    assert missing_industry == []
    assert issue_names(archivist, "missing", snapshot, kind="person", field="person.employer") == [
        "无电话",
        "有电话",
    ]


def test_completeness_fields_are_the_registrys(rep):
    make_person(rep, "某人")
    snapshot = services.quality_snapshot_take()
    from kehu.customers.selectors import field_specs_for

    expected = {c for c, s in field_specs_for("person").items() if s.completeness}
    assert set(snapshot.metrics["completeness"]["by_kind"]["person"]["fields"]) == expected


def test_freshness_and_mark_as_reviewed(client, rep, archivist):
    old = make_person(rep, "久未更新")
    make_person(rep, "新客户")
    Customer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=200))
    snapshot = services.quality_snapshot_take()
    assert snapshot.metrics["freshness"] == {
        "total": 2,
        "stale": 1,
        "months": 6,
        "share_stale": 50.0,
    }
    assert issue_names(archivist, "stale", snapshot) == ["久未更新"]

    # when the owner reviews it on the 360° page
    client.force_login(rep)
    response = client.post(f"/customers/{old.pk}/reviewed/")
    assert response.status_code == 302

    # then it is no longer stale, and history says who reviewed it
    old.refresh_from_db()
    assert old.reviewed_at is not None
    change = CustomerChange.objects.get(customer=old, field="reviewed_at")
    assert change.changed_by == rep
    snapshot = services.quality_snapshot_take()
    assert snapshot.metrics["freshness"]["stale"] == 0
    assert issue_names(archivist, "stale", snapshot) == []


def test_a_shorter_period_counts_more_customers_stale(rep):
    customer = make_person(rep, "三个月前")
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now() - timedelta(days=95))
    assert services.quality_snapshot_take().metrics["freshness"]["stale"] == 0
    assert services.quality_snapshot_take(months=3).metrics["freshness"]["stale"] == 1


def test_only_who_may_change_the_customer_may_mark_it_reviewed(client, rep, other_rep, make_user):
    customer = make_person(rep, "别人的")
    client.force_login(other_rep)
    assert client.post(f"/customers/{customer.pk}/reviewed/").status_code == 404
    client.force_login(make_user(Role.LEADER))
    assert client.post(f"/customers/{customer.pk}/reviewed/").status_code == 403
    customer.refresh_from_db()
    assert customer.reviewed_at is None


def test_months_before_clips_to_the_end_of_the_month():
    moment = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
    assert metrics.months_before(moment, 6).date() == date(2026, 2, 28)
    assert metrics.months_before(moment, 8).date() == date(2025, 12, 31)


def test_snapshots_one_per_day_and_a_trend(rep, archivist, client):
    make_person(rep, "某人", phones="13800138000")
    services.quality_snapshot_take()
    services.quality_snapshot_take()
    assert QualitySnapshot.objects.count() == 1
    earlier = QualitySnapshot.objects.get()
    QualitySnapshot.objects.create(
        taken_on=earlier.taken_on - timedelta(days=1),
        computed_at=earlier.computed_at - timedelta(days=1),
        metrics={"completeness": {"share": 10.0}, "validity": {"share": 50.0}},
    )
    client.force_login(archivist)
    body = client.get("/api/v1/quality/").json()
    assert [p["completeness"] for p in body["trend"]] == [
        10.0,
        earlier.metrics["completeness"]["share"],
    ]
    assert body["latest"]["taken_on"] == earlier.taken_on.isoformat()


def test_python_rule_drill_down_keeps_capped_ids(archive, archivist, monkeypatch):
    monkeypatch.setattr(metrics, "ISSUE_ID_CAP", 1)
    snapshot = services.quality_snapshot_take()
    assert rule(snapshot, "id_number")["customers"] == 1
    found = quality_issue_customers(user=archivist, metric="id_number", snapshot=snapshot)
    assert found.capped_at is None
    assert [c.name for c in found.customers] == ["坏身份证"]


# --- permissions and endpoints ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ARCHIVE_ADMIN, True),
        (Role.ADMIN, True),
        (Role.SALES_REP, False),
        (Role.MARKETER, False),
        (Role.LEADER, False),
        (Role.SERVICE_AGENT, False),
    ],
)
def test_only_archive_administrators_see_data_quality(client, make_user, rep, role, allowed):
    make_person(rep, "某人")
    services.quality_snapshot_take()
    client.force_login(make_user(role))
    expected = 200 if allowed else 403
    assert client.get("/api/v1/quality/").status_code == expected
    assert client.get("/api/v1/quality/issues/stale").status_code == expected
    assert client.get("/quality/").status_code == expected
    assert client.get("/quality/issues/phones/").status_code == expected
    recompute = client.post("/api/v1/quality/recompute", {}, content_type="application/json")
    assert recompute.status_code == (201 if allowed else 403)
    assert client.post("/quality/recompute/").status_code == (302 if allowed else 403)
    nav = client.get("/").content.decode()
    assert ('href="/quality/"' in nav) is allowed


def test_api_recompute_and_drill_down(client, archive, archivist):
    client.force_login(archivist)
    response = client.post(
        "/api/v1/quality/recompute", {"months": 12}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["stale_months"] == 12
    assert response.json()["metrics"]["consistency"]["rules"]["id_birth_date"]["customers"] == 1
    issues = client.get("/api/v1/quality/issues/id_birth_date").json()
    assert [c["name"] for c in issues["results"]] == ["生日不符"]
    missing = client.get("/api/v1/quality/issues/missing?kind=person&field=phones").json()
    assert "坏电话" not in [c["name"] for c in missing["results"]]
    assert "生日不符" in [c["name"] for c in missing["results"]]


def test_api_bad_input(client, archivist):
    client.force_login(archivist)
    response = client.post(
        "/api/v1/quality/recompute", {"months": 0}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "months"
    assert client.get("/api/v1/quality/issues/nonsense").status_code == 404
    assert client.get("/api/v1/quality/issues/missing?kind=person&field=notes").status_code == 404


def test_a_large_archive_is_recomputed_in_the_background(
    client, rep, archivist, monkeypatch, huey_immediate, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_MAX_CUSTOMERS", 1)
    make_person(rep, "甲")
    make_person(rep, "乙")
    client.force_login(archivist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/quality/recompute", {}, content_type="application/json")
    assert response.status_code == 202
    snapshot = quality_latest()
    assert snapshot is not None
    assert snapshot.metrics["total"] == 2


def test_page_shows_numbers_linking_to_their_customers(client, archive, archivist):
    services.quality_snapshot_take()
    client.force_login(archivist)
    page = client.get("/quality/").content.decode()
    assert 'id="quality-data"' in page
    assert 'href="/quality/issues/id_birth_date/"' in page
    assert 'href="/quality/issues/missing/?kind=person&amp;field=phones"' in page
    assert "<script>" not in page
    assert "style=" not in page
    drill = client.get("/quality/issues/id_birth_date/").content.decode()
    assert "生日不符" in drill
    assert ID_FEMALE_1985 not in drill


def test_page_before_any_snapshot_offers_recompute(client, archivist):
    client.force_login(archivist)
    page = client.get("/quality/").content.decode()
    assert 'data-testid="quality-empty"' in page
    client.post("/quality/recompute/", {"months": "6"})
    assert 'data-testid="quality-stats"' in client.get("/quality/").content.decode()


def test_drill_down_pages_are_keyset_paginated(client, rep, archivist, monkeypatch):
    from kehu.quality import views

    monkeypatch.setattr(views, "ISSUES_PAGE_SIZE", 2)
    for n in range(5):
        make_person(rep, f"无电话{n}")
    services.quality_snapshot_take()
    client.force_login(archivist)
    url = "/quality/issues/missing/?kind=person&field=phones"
    seen = []
    while url:
        page = client.get(url)
        seen += [c.name for c in page.context["customers"]]
        url = (
            f"/quality/issues/missing/?{page.context['next_query']}"
            if page.context["next_query"]
            else ""
        )
    assert seen == [f"无电话{n}" for n in reversed(range(5))]


def test_duplicates_pending_counted_and_listed(rep, archivist):
    from kehu.dedup.models import DuplicateCandidate

    a, b, c = make_person(rep, "张伟"), make_person(rep, "章伟"), make_person(rep, "李娜")
    common = {"kind": "person", "match_probability": 0.99, "found_at": timezone.now()}
    DuplicateCandidate.objects.create(customer_a=a, customer_b=b, **common)
    DuplicateCandidate.objects.create(customer_a=a, customer_b=c, status="dismissed", **common)
    snapshot = services.quality_snapshot_take()
    assert snapshot.metrics["duplicates_pending"] == 1
    assert issue_names(archivist, "duplicates", snapshot) == ["张伟", "章伟"]


def test_phone_validity_by_prefix_agrees_with_full_validation():
    import random

    rnd = random.Random(2026)
    numbers = ["+8613800138000", "+8614012345678", "+8617405123456", "+8617406123456"]
    numbers += ["+861" + "".join(rnd.choice("0123456789") for _ in range(10)) for _ in range(500)]
    for number in numbers:
        assert metrics._valid_phone(number) == metrics._normalizes_to_itself(number), number
