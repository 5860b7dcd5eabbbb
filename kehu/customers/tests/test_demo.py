import pytest
from django.core.management import call_command

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to

pytestmark = pytest.mark.django_db


def test_demo_loads_users_of_every_role_and_scoped_customers():
    call_command("demo", "--customers", "40")
    assert {u.role for u in User.objects.all()} == set(Role.values) - {Role.ADMIN}
    assert Customer.objects.count() == 40
    assert Customer.objects.filter(kind="organization").exists()
    assert Customer.objects.filter(owner=None).exists()  # some in the public pool
    manager = User.objects.get(username="zhaoqiang")
    colleague = User.objects.get(username="liuyang")
    other_team = User.objects.get(username="chenjing")
    visible = customers_visible_to(manager)
    assert visible.filter(owner=colleague).exists()
    assert not visible.filter(owner=other_team).exists()


def test_demo_if_empty_does_not_load_twice():
    call_command("demo", "--customers", "10")
    call_command("demo", "--customers", "10", "--if-empty")
    assert Customer.objects.count() == 10
