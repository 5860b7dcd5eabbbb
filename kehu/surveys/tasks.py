"""Background work of surveys: the satisfaction survey after a case closes or an order is
delivered (queued by the service and sales services once their change is committed)."""

from huey.contrib.djhuey import db_task

from kehu.surveys.models import TriggerEvent
from kehu.surveys.services.triggers import satisfaction_invite


@db_task()
def satisfaction_after_case(case_id: int) -> None:
    """Idempotent: one invitation per case at most."""
    from kehu.service.models import Case

    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is not None and case.status == Case.Status.CLOSED:
        satisfaction_invite(event=TriggerEvent.CASE_CLOSED, customer=case.customer, case_id=case.pk)


@db_task()
def satisfaction_after_order(order_id: int) -> None:
    """Idempotent: one invitation per order at most."""
    from kehu.sales.models import Order

    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is not None and order.status == Order.Status.DELIVERED:
        satisfaction_invite(
            event=TriggerEvent.ORDER_DELIVERED, customer=order.customer, order_id=order.pk
        )
