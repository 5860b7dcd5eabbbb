"""Customer feedback (客户知识): what each kind needs, search, and the per-product report."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.service import services
from kehu.service.selectors import FeedbackFilters, feedback_list, product_report
from kehu.service.tests.factories import open_case, resolve

pytestmark = pytest.mark.django_db


def comment(user, customer, product="滚筒洗衣机 X1", score=4, **kwargs):
    values = {
        "kind": "product_comment",
        "content": "洗得干净，噪音有点大",
        "product_code": "X1",
        "product_name": product,
        "satisfaction": score,
        "lifecycle_opinion": "maturity",
        "understands_product": True,
        "preferences": "喜欢静音款",
    }
    values.update(kwargs)
    return services.feedback_record(user=user, customer=customer, **values)


def test_product_comment_keeps_every_field(rep, customer):
    row = comment(rep, customer)
    assert (row.product_code, row.product_name, row.satisfaction) == ("X1", "滚筒洗衣机 X1", 4)
    assert (row.lifecycle_opinion, row.understands_product) == ("maturity", True)
    assert row.preferences == "喜欢静音款"
    assert row.recorded_by == rep


def test_each_kind_needs_its_fields(rep, customer):
    with pytest.raises(ValidationError) as problem:
        services.feedback_record(user=rep, customer=customer, kind="product_comment", content="好")
    assert "product_name" in problem.value.message_dict
    with pytest.raises(ValidationError) as problem:
        services.feedback_record(user=rep, customer=customer, kind="question", content="怎么退货")
    assert "question_type" in problem.value.message_dict
    with pytest.raises(ValidationError) as problem:
        services.feedback_record(user=rep, customer=customer, kind="market_comment", content="…")
    assert "market_type" in problem.value.message_dict
    with pytest.raises(ValidationError) as problem:
        comment(rep, customer, score=6)
    assert "satisfaction" in problem.value.message_dict


def test_question_keeps_its_type_and_solution_and_drops_product_opinions(rep, customer):
    row = services.feedback_record(
        user=rep,
        customer=customer,
        kind="question",
        question_type="company_affairs",
        content="你们公司有没有上门安装服务？",
        solution="有，免费上门安装",
        satisfaction=5,
    )
    assert (row.question_type, row.solution, row.satisfaction) == (
        "company_affairs",
        "有，免费上门安装",
        None,
    )


def test_leaders_do_not_record_feedback(leader, customer):
    with pytest.raises(PermissionDenied):
        comment(leader, customer)


def test_search_over_every_text_and_scope(rep, other_rep, customer, other_customer):
    comment(rep, customer)
    services.feedback_record(
        user=rep,
        customer=customer,
        kind="market_comment",
        market_type="三四线城市",
        content="县城里竞品降价很厉害",
    )
    comment(other_rep, other_customer, content="别人的客户的意见：噪音")
    found = feedback_list(user=rep, filters=FeedbackFilters(q="噪音"))
    assert [f.customer_id for f in found] == [customer.pk]  # not the other rep's customer
    assert feedback_list(user=rep, filters=FeedbackFilters(q="县城")).count() == 1
    assert feedback_list(user=rep, filters=FeedbackFilters(q="静音")).count() == 1
    assert feedback_list(user=rep, filters=FeedbackFilters(product="X1")).count() == 1
    assert feedback_list(user=rep, filters=FeedbackFilters(kind="market_comment")).count() == 1


def test_report_per_product(rep, agent, customer):
    comment(rep, customer, score=5)
    comment(rep, customer, score=3, understands_product=False, lifecycle_opinion="decline")
    comment(rep, customer, product="冰箱 B2", product_code="B2", score=2)
    case = resolve(
        agent,
        open_case(
            agent, customer, type="complaint", product_code="X1", product_name="滚筒洗衣机 X1"
        ),
    )
    services.case_rate(user=agent, case=case, score=2)
    open_case(agent, customer, type="after_sales", product_code="X1", product_name="滚筒洗衣机 X1")
    rows = {r.product_code: r for r in product_report(user=rep)}
    x1 = rows["X1"]
    assert (x1.comments, x1.average_satisfaction) == (2, 4.0)
    assert x1.scores == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert (x1.understands, x1.understands_known) == (1, 2)
    assert x1.lifecycle["decline"] == 1
    assert (x1.cases, x1.open_cases, x1.complaints, x1.average_case_rating) == (2, 1, 1, 2.0)
    assert rows["B2"].comments == 1
    assert rows["B2"].cases == 0


def test_report_is_scoped(rep, other_rep, other_customer):
    comment(other_rep, other_customer)
    assert product_report(user=rep) == []


def test_a_catalogue_product_sets_code_and_name(rep, customer, agent):
    from decimal import Decimal

    from kehu.sales.models import Product

    product = Product.objects.create(code="wm-x2", name="滚筒洗衣机 X2", list_price=Decimal("2999"))
    row = services.feedback_record(
        user=rep, customer=customer, kind="product_comment", content="好用", product=product
    )
    assert (row.product, row.product_code, row.product_name) == (product, "wm-x2", "滚筒洗衣机 X2")
    case = open_case(agent, customer, product=product)
    assert (case.product, case.product_code) == (product, "wm-x2")
    product.delete()  # the snapshot stays for the report
    row.refresh_from_db()
    assert (row.product, row.product_name) == (None, "滚筒洗衣机 X2")
    assert product_report(user=rep)[0].product_code == "wm-x2"
