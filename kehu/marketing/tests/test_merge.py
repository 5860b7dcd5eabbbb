"""Merge fields: whitelisted, escaped, missing values empty, only ``if`` as a tag."""

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_person
from kehu.marketing import merge


@pytest.fixture
def wei(rep, data_dir):
    customer = make_person(
        rep,
        "张伟",
        **{"person.gender": "female", "person.id_number": "330212199105170748"},
    )
    return Customer.objects.select_related("person", "owner").get(pk=customer.pk)


def test_fields_are_escaped_in_html_and_plain_in_text():
    context = {"name": "<b>张伟</b>", "campaign": "春季"}
    rendered = merge.render(
        subject="{{ name }}", body="您好 {{ name }}，{{ campaign }}", context=context
    )
    assert "&lt;b&gt;张伟&lt;/b&gt;" in rendered.html
    assert "<b>" not in rendered.html
    assert rendered.subject == "张伟"


def test_missing_and_sensitive_values_render_empty(wei):
    context = merge.context_for(wei, language="en")
    body = (
        "[{{ id_number }}][{{ custom.nope }}][{{ city|default:'somewhere' }}]"
        "[{{ person.id_number }}]"
    )
    rendered = merge.render(subject="x", body=body, context=context)
    assert rendered.text == "[][][somewhere][]"
    assert "330212" not in rendered.html


def test_salutation_by_gender_and_language(wei):
    assert merge.salutation(wei, "zh-hans") == "张女士"
    assert merge.salutation(wei, "en") == "Ms 张伟"


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}",
        "{% include 'base.html' %}",
        "{% debug %}",
        "{{ name|nosuchfilter }}",
        "{% if %}",
    ],
)
def test_only_fields_and_if_are_allowed(text):
    with pytest.raises(ValidationError):
        merge.check_template(text)


def test_if_is_allowed():
    merge.check_template("{% if company %}{{ company }}{% else %}您{% endif %}")
