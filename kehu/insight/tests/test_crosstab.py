import pytest
from django.test import Client

from kehu.customers.models import Customer
from kehu.insight import crosstab, services

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def small_province(synthetic_archive):
    """Three more customers in a province of their own: cells below the k threshold."""
    Customer.objects.bulk_create(
        Customer(name=f"藏{i}", kind="person", status="active", province="西藏自治区")
        for i in range(3)
    )


def test_counts_and_shares_on_the_known_fixture(synthetic_archive, archivist):
    table = crosstab.crosstab(user=archivist, rows="province", columns="grade", measure="customers")
    assert table.total == 600
    # 600 customers: province cycles over 3, grade "important" every 10th (i % 10 == 0)
    zhejiang = table.cells[("浙江省", "important")]
    assert zhejiang.customers == 20
    assert zhejiang.value == 20.0
    assert table.cells[("浙江省", "general")].customers == 180
    assert table.cells[("浙江省", "general")].share == 30.0
    gender = crosstab.crosstab(
        user=archivist, rows="gender", columns="education", measure="customers"
    )
    assert gender.cells[("female", "大专")].customers == 240  # odd i with i % 10 in 3, 5, 7, 9


def test_small_cells_are_suppressed_for_the_leader_only(small_province, archivist, leader):
    full = crosstab.crosstab(user=archivist, rows="province", columns="grade", measure="customers")
    assert full.cells[("西藏自治区", "general")].customers == 3
    assert full.suppressed == 0
    hidden = crosstab.crosstab(user=leader, rows="province", columns="grade", measure="customers")
    cell = hidden.cells[("西藏自治区", "general")]
    assert cell.suppressed
    assert cell.customers == 0
    assert cell.value is None
    assert hidden.suppressed == 1
    assert not hidden.drill_down
    assert not crosstab.cell_customers(
        user=leader, rows="province", columns="grade", row_key="西藏自治区", column_key="general"
    ).exists()


def test_drill_down_is_scoped(synthetic_archive, archivist, rep):
    names = crosstab.cell_customers(
        user=archivist, rows="province", columns="grade", row_key="浙江省", column_key="important"
    )
    assert names.count() == 20
    # the rep owns none of these customers
    assert not crosstab.cell_customers(
        user=rep, rows="province", columns="grade", row_key="浙江省", column_key="important"
    ).exists()
    assert (
        crosstab.crosstab(user=rep, rows="province", columns="grade", measure="customers").total
        == 0
    )


def test_the_api_and_the_page(small_province, archivist, leader, rep):
    api = client_for(leader)
    answer = api.get("/api/v1/insight/crosstab", {"rows": "province", "columns": "grade"})
    assert answer.status_code == 200
    assert answer.json()["suppressed"] == 1
    assert api.get("/api/v1/insight/crosstab/customers", {"rows": "province"}).status_code == 403
    assert api.get("/api/v1/insight/crosstab", {"rows": "nothing"}).status_code == 404
    own = client_for(archivist)
    cell = own.get(
        "/api/v1/insight/crosstab/customers",
        {"rows": "province", "columns": "grade", "row_key": "浙江省", "column_key": "important"},
    )
    assert cell.status_code == 200
    assert len(cell.json()["results"]) == 20
    saved = own.post(
        "/api/v1/insight/views/",
        {"name": "地区×等级", "rows": "province", "columns": "grade", "measure": "customers"},
        content_type="application/json",
    )
    assert saved.status_code == 201
    view_id = saved.json()["id"]
    assert client_for(rep).delete(f"/api/v1/insight/views/{view_id}").status_code == 404
    assert own.get("/insight/").status_code == 200
    assert own.get(f"/insight/views/{view_id}/").status_code == 302
    assert client_for(leader).get("/insight/?rows=province&columns=grade").status_code == 200
    assert own.get("/insight/models/").status_code == 200


def test_saving_a_view_checks_its_dimensions(db, archivist):
    with pytest.raises(Exception):  # noqa: B017, PT011
        services.crosstab_view_save(
            user=archivist, name="x", rows="nope", columns="grade", measure="customers"
        )
