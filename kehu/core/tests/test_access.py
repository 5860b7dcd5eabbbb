"""Record scope and capabilities per role: the rules in kehu.core.access."""

import pytest

from kehu.accounts.models import Role, Team
from kehu.accounts.services import team_members_set, user_memberships_set
from kehu.accounts.tests.factories import MembershipFactory, TeamFactory
from kehu.core.access import (
    SensitiveGroup,
    can_export,
    can_reveal,
    is_read_only,
    managed_team_ids,
)
from kehu.customers.selectors import (
    customer_can_change,
    customers_changeable_by,
    customers_visible_to,
)
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(rep, other_rep):
    """Two reps' customers, one shared, one in the public pool (no owner)."""
    mine = CustomerFactory(name="张伟", owner=rep)
    theirs = CustomerFactory(name="李娜", owner=other_rep)
    shared = CustomerFactory.create(name="王芳", owner=other_rep)
    shared.shared_with.add(rep)
    pool = CustomerFactory(name="赵磊", owner=None)
    return {"mine": mine, "theirs": theirs, "shared": shared, "pool": pool}


def names(queryset):
    return sorted(c.name for c in queryset)


def test_rep_sees_own_and_shared_only(rep, archive):
    assert names(customers_visible_to(rep)) == ["张伟", "王芳"]


def test_rep_changes_own_and_shared_only(rep, archive):
    assert customer_can_change(user=rep, customer=archive["mine"])
    assert not customer_can_change(user=rep, customer=archive["theirs"])


def test_shared_with_several_users_is_listed_once(rep, other_rep, make_user, archive):
    archive["mine"].shared_with.add(other_rep, make_user(username="rep3"))
    manager_team = TeamFactory()
    MembershipFactory(user=rep, team=manager_team, is_manager=True)
    MembershipFactory(user=other_rep, team=manager_team)
    visible = list(customers_visible_to(rep))
    assert len(visible) == len({c.pk for c in visible})


def test_team_manager_sees_the_teams_customers(rep, other_rep, make_user, archive):
    # given: rep manages a team that other_rep belongs to; a third rep is outside it
    team = TeamFactory(name="华东销售部")
    MembershipFactory(user=rep, team=team, is_manager=True)
    MembershipFactory(user=other_rep, team=team)
    outsider = make_user(username="rep3")
    CustomerFactory(name="孙强", owner=outsider)
    CustomerFactory(name="周敏", owner=outsider, team=team)
    # when / then: members' customers and the team's customers, not the outsider's own
    assert names(customers_visible_to(rep)) == ["周敏", "张伟", "李娜", "王芳"]


def test_team_manager_changes_the_members_customers(rep, other_rep, make_user, archive):
    team = TeamFactory()
    MembershipFactory(user=rep, team=team, is_manager=True)
    MembershipFactory(user=other_rep, team=team)
    outsider = CustomerFactory.create(name="孙强", owner=make_user(username="rep3"))
    assert customer_can_change(user=rep, customer=archive["theirs"])
    assert not customer_can_change(user=rep, customer=outsider)
    assert not customer_can_change(user=other_rep, customer=archive["mine"])


def test_managed_teams_are_read_once_and_forgotten_when_memberships_change(
    rep, other_rep, admin_user, django_assert_num_queries
):
    # given: a rep who manages no team yet, asked once
    team = Team.objects.create(name="华南销售部")
    assert managed_team_ids(rep) == []
    # when / then: asked again on the same user object (one request), no query
    with django_assert_num_queries(0):
        assert managed_team_ids(rep) == []
    # and: the services that change memberships drop what the user object kept
    user_memberships_set(user=rep, teams=[team], managed=[team], changed_by=admin_user)
    assert managed_team_ids(rep) == [team.pk]
    team_members_set(team=team, members=[rep, other_rep], managers=[], changed_by=admin_user)
    assert managed_team_ids(rep) == []


def test_plain_team_member_does_not_see_colleagues_customers(rep, other_rep, archive):
    team = TeamFactory()
    MembershipFactory(user=rep, team=team)
    MembershipFactory(user=other_rep, team=team)
    assert "李娜" not in names(customers_visible_to(rep))


@pytest.mark.parametrize(
    "role", [Role.ARCHIVE_ADMIN, Role.LEADER, Role.ADMIN, Role.SERVICE_AGENT, Role.MARKETER]
)
def test_roles_that_see_the_whole_archive(make_user, role, archive):
    assert customers_visible_to(make_user(role)).count() == 4


def test_leader_is_read_only(make_user, archive):
    leader = make_user(Role.LEADER)
    assert is_read_only(leader)
    assert customers_changeable_by(leader).count() == 0


def test_archive_admin_changes_everything(make_user, archive):
    assert customers_changeable_by(make_user(Role.ARCHIVE_ADMIN)).count() == 4


def test_disabled_user_sees_nothing(rep, archive):
    rep.is_active = False
    rep.save()
    assert customers_visible_to(rep).count() == 0


def test_export_and_reveal_by_role(make_user):
    rep = make_user(Role.SALES_REP)
    archivist = make_user(Role.ARCHIVE_ADMIN)
    marketer = make_user(Role.MARKETER)
    leader = make_user(Role.LEADER)
    assert not can_export(rep)
    assert can_export(archivist)
    assert can_export(marketer)
    assert not can_export(leader)
    assert can_reveal(rep, SensitiveGroup.ADDRESS)
    assert not can_reveal(rep, SensitiveGroup.IDENTITY)
    assert all(can_reveal(archivist, group) for group in SensitiveGroup)
    assert not any(can_reveal(marketer, group) for group in SensitiveGroup)
