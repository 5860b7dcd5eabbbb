"""Customers for tests, made the way the application makes them: through ``customer_create``,
so every customer has its profile, its recorded changes and its search index rows.

``make_person`` / ``make_organization`` take the field values as keywords (dotted codes through
``**{"person.id_number": …}``); ``CustomerFactory`` is the factory_boy face of the same service.
"""

from typing import Any

import factory

from kehu.accounts.models import Team, User
from kehu.customers import services
from kehu.customers.models import Channel, Customer

_UNSET: Any = object()


def _make(
    kind: str,
    user: User | None,
    name: str,
    *,
    owner: User | None = _UNSET,
    channel: Channel | str | None = None,
    team: Team | None = None,
    **data: Any,
) -> Customer:
    if isinstance(channel, str):
        channel = Channel.objects.get(code=channel)
    extra: dict[str, Any] = {} if owner is _UNSET else {"owner": owner}
    if team is not None:
        extra["team"] = team
    return services.customer_create(
        user=user, kind=kind, data={"name": name, **data}, channel=channel, **extra
    )


def make_person(user: User | None = None, name: str = "张伟", **data: Any) -> Customer:
    """A person created by ``user`` (``None``: the system, e.g. an import)."""
    return _make(Customer.Kind.PERSON, user, name, **data)


def make_organization(
    user: User | None = None, name: str = "华为技术有限公司", **data: Any
) -> Customer:
    """An organization created by ``user`` (``None``: the system)."""
    return _make(Customer.Kind.ORGANIZATION, user, name, **data)


class CustomerFactory(factory.Factory[Customer]):
    """``CustomerFactory(name=…, kind=…, owner=…, user=…, **field values)`` through the service:
    it cannot build a customer without its profile (``build`` is refused for that reason)."""

    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")
    kind = Customer.Kind.PERSON

    @classmethod
    def _create(cls, model_class: type[Customer], *args: Any, **kwargs: Any) -> Customer:
        kind = kwargs.pop("kind")
        name = kwargs.pop("name")
        user = kwargs.pop("user", None)
        return _make(kind, user, name, **kwargs)

    @classmethod
    def _build(cls, model_class: type[Customer], *args: Any, **kwargs: Any) -> Customer:
        raise TypeError("A customer is made with its profile: use create(), not build().")
