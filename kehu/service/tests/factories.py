"""Cases and feedback made through the services, as the app makes them."""

from typing import Any

from kehu.service import services


def open_case(user: Any, customer: Any, **kwargs: Any) -> Any:
    values: dict[str, Any] = {
        "type": "complaint",
        "priority": "normal",
        "subject": "洗衣机漏水",
        "description": "新买的洗衣机第二次使用就漏水。",
    }
    values.update(kwargs)
    return services.case_open(user=user, customer=customer, **values)


def resolve(user: Any, case: Any, **kwargs: Any) -> Any:
    return services.case_transition(
        user=user, case=case, to_status="resolved", resolution="上门更换密封圈", **kwargs
    )
