"""The demo programme: members in every level, a ledger that reconciles, care plans."""

import pytest
from django.core.management import call_command

from kehu.accounts.models import User
from kehu.loyalty import services
from kehu.loyalty.models import CarePlan, Level, Member, PointsEntry

pytestmark = pytest.mark.django_db


def test_demo_has_members_in_every_level_and_a_clean_ledger(client):
    call_command("demo", "--customers", "300", "--seed", "3", "--service", "0", verbosity=0)
    assert all(level.members.exists() for level in Level.objects.all())
    assert Level.objects.count() == 5
    kinds = set(PointsEntry.objects.values_list("kind", flat=True))
    assert {"earn", "redeem"} <= kinds
    assert services.ledger_reconcile().mismatches == []
    assert CarePlan.objects.filter(grade="important").exists()
    # a member's card renders on the 360° page
    member = Member.objects.order_by("-points_balance")[0]
    client.force_login(User.objects.get(username="lijun"))
    page = client.get(f"/customers/{member.customer_id}/").content.decode()
    assert member.card_number in page
    assert client.get("/loyalty/").status_code == 200
