import pytest

from kehu.accounts.models import Membership, Team
from kehu.customers import services as customer_services


@pytest.fixture
def manager(make_user, rep):
    """A team manager (a sales rep by role) whose team has ``rep``."""
    boss = make_user(username="boss", display_name="王经理")
    team = Team.objects.create(name="华东销售部")
    Membership.objects.create(user=boss, team=team, is_manager=True)
    Membership.objects.create(user=rep, team=team)
    return boss


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})
