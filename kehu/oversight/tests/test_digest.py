"""The weekly digest: one e-mail per leader and team manager with an address."""

import pytest
from django.core import mail

from kehu.accounts.models import Role
from kehu.oversight.digest import digest_send_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_digest_goes_to_leaders_and_managers(make_user, manager, rep):
    make_user(Role.LEADER, username="boss-mail", email="boss@example.com")
    manager.email = "mgr@example.com"
    manager.save()
    rep.email = "rep@example.com"
    rep.save()
    assert digest_send_all() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@example.com", "mgr@example.com"]
    assert "Revenue" in mail.outbox[0].body
