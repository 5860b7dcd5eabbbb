"""The demo shows a believable day: every sales rep has tasks, visits, calls and follow-ups
spread over the past and the coming weeks, so each home page and the calendar have work."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.core.home import home_cards
from kehu.interactions.models import Interaction
from kehu.tasks.models import Task


@pytest.mark.django_db
def test_the_demo_spreads_work_over_past_and_coming_weeks():
    call_command("demo", "--customers", "300")
    today = timezone.localdate()
    reps = User.objects.filter(role=Role.SALES_REP)
    assert reps.count() >= 3
    for rep in reps:
        tasks = Task.objects.filter(assignee=rep)
        assert tasks.filter(due_at__lt=timezone.now() - timedelta(days=3)).exists(), rep
        assert tasks.filter(due_at__gt=timezone.now() + timedelta(days=7)).exists(), rep
        assert tasks.filter(kind=Task.Kind.VISIT).exists(), rep
        contacts = Interaction.objects.filter(user=rep)
        assert contacts.filter(type=Interaction.Type.PHONE_CALL).exists(), rep
        assert contacts.filter(type=Interaction.Type.VISIT).exists(), rep
        assert contacts.filter(next_follow_up_on__lt=today).exists(), rep
        assert contacts.filter(next_follow_up_on__gt=today + timedelta(days=3)).exists(), rep
    # open opportunities show the products discussed
    from kehu.sales.models import OpportunityLine

    assert OpportunityLine.objects.filter(opportunity__owner__in=reps).exists()
    # every role's home has something to show
    for username in ("zhaoqiang", "liuyang", "sunli"):
        user = User.objects.get(username=username)
        _role, cards = home_cards(user=user, today=today)
        today_card = cards["today"]
        assert today_card.overdue + today_card.today + today_card.week > 0, username
