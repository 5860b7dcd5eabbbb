import factory

from kehu.customers.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")
    kind = Customer.Kind.PERSON
