"""Propensity scores as a condition of the customer list and of segments: at least a
percentile and/or a probability under a model, within the viewer's scope."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kehu.customers.segments import (
    filters_from_json,
    segment_customers,
    segment_save,
)
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.tests.factories import make_person
from kehu.insight.models import PropensityModel, PropensityScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(rep):
    """Four customers of rep1 scored 95th, 85th, 50th and 10th percentile (probabilities
    0.9, 0.6, 0.3, 0.05); one unscored."""
    model = PropensityModel.objects.create(name="早教", category="早教", trained_at=timezone.now())
    people = [make_person(rep, f"客户{i}") for i in range(5)]
    for person, (percentile, probability) in zip(
        people, [(95, 0.9), (85, 0.6), (50, 0.3), (10, 0.05)], strict=False
    ):
        PropensityScore.objects.create(
            model=model, customer=person, percentile=percentile, probability=probability
        )
    return model, people


def names(queryset):
    return sorted(c.name for c in queryset)


def test_at_least_a_percentile_or_a_probability(rep, scored):
    model, _people = scored
    by_percentile = CustomerFilters(propensity_model=model.pk, propensity_percentile_min="80")
    assert names(customer_list(user=rep, filters=by_percentile)) == ["客户0", "客户1"]
    by_probability = CustomerFilters(propensity_model=model.pk, propensity_probability_min="0.3")
    assert names(customer_list(user=rep, filters=by_probability)) == ["客户0", "客户1", "客户2"]
    both = CustomerFilters(
        propensity_model=model.pk,
        propensity_percentile_min="90",
        propensity_probability_min="0.3",
    )
    assert names(customer_list(user=rep, filters=both)) == ["客户0"]
    # the model alone: every customer it scored
    assert len(customer_list(user=rep, filters=CustomerFilters(propensity_model=model.pk))) == 4


def test_a_segment_keeps_the_condition_and_applies_the_viewers_scope(rep, other_rep, scored):
    model, _people = scored
    filters = CustomerFilters(propensity_model=model.pk, propensity_percentile_min="80")
    segment = segment_save(user=rep, name="likely to buy 早教", filters=filters)
    assert segment.filters == {"propensity_model": model.pk, "propensity_percentile_min": "80"}
    assert filters_from_json(segment.filters) == filters
    assert segment.last_count == 2
    assert names(segment_customers(user=rep, segment=segment)) == ["客户0", "客户1"]
    # another rep with the same condition sees none of rep1's customers
    assert not customer_list(user=other_rep, filters=filters).exists()


def test_bad_conditions_are_explicit_errors(rep, scored):
    model, _people = scored
    for filters, field in [
        (
            CustomerFilters(propensity_model=model.pk, propensity_percentile_min="101"),
            "propensity_percentile_min",
        ),
        (
            CustomerFilters(propensity_model=model.pk, propensity_probability_min="x"),
            "propensity_probability_min",
        ),
        (CustomerFilters(propensity_percentile_min="80"), "propensity_model"),
        (CustomerFilters(propensity_model=model.pk + 99), "propensity_model"),
    ]:
        with pytest.raises(ValidationError) as err:
            list(customer_list(user=rep, filters=filters))
        assert field in err.value.message_dict


def test_the_list_page_and_the_api(rep, other_rep, scored):
    model, _people = scored
    client = Client()
    client.force_login(rep)
    page = client.get(
        "/customers/", {"propensity_model": model.pk, "propensity_percentile_min": "80"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "客户0" in html
    assert "客户2" not in html
    api = client.get(
        "/api/v1/customers/", {"propensity_model": model.pk, "propensity_percentile_min": 80}
    )
    assert api.status_code == 200
    assert sorted(c["name"] for c in api.json()["results"]) == ["客户0", "客户1"]
    bad = client.get(
        "/api/v1/customers/", {"propensity_model": model.pk, "propensity_percentile_min": 101}
    )
    assert bad.status_code == 422
    unknown = client.get("/api/v1/customers/", {"propensity_model": model.pk + 99})
    assert unknown.status_code == 422
    # another rep: the same condition, none of rep1's customers
    other = Client()
    other.force_login(other_rep)
    response = other.get("/api/v1/customers/", {"propensity_model": model.pk})
    assert response.json()["results"] == []


def test_a_model_is_deleted_unless_a_segment_selects_by_it(rep, archivist, scored):
    from kehu.customers.models import Segment
    from kehu.insight.models import PropensityScore as Score

    model, _people = scored
    filters = CustomerFilters(propensity_model=model.pk, propensity_percentile_min="80")
    segment = segment_save(user=rep, name="likely to buy 早教", filters=filters)
    api = f"/api/v1/insight/models/{model.pk}"
    page, rep_page = Client(), Client()
    page.force_login(archivist)
    rep_page.force_login(rep)
    # a rep may not delete; a segment using the model holds it back, with its name
    assert rep_page.delete(api).status_code == 403
    refused = page.delete(api)
    assert refused.status_code == 409
    assert "likely to buy 早教" in refused.json()["message"]
    response = page.post("/insight/models/", {"model": model.pk, "action": "delete"}, follow=True)
    assert "likely to buy 早教" in response.content.decode()
    assert PropensityModel.objects.filter(pk=model.pk).exists()
    # once the segment is gone, the model and its scores go
    Segment.objects.filter(pk=segment.pk).delete()
    response = page.post("/insight/models/", {"model": model.pk, "action": "delete"}, follow=True)
    assert response.status_code == 200
    assert not PropensityModel.objects.filter(pk=model.pk).exists()
    assert not Score.objects.filter(model_id=model.pk).exists()
    assert page.delete(api).status_code == 404
