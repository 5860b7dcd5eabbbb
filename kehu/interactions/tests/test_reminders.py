"""Reminders: computed for the configured zone's day (Asia/Shanghai), with time frozen."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.interactions import selectors, services
from kehu.interactions.models import Interaction, Reminder, ReminderRun
from kehu.interactions.services import birthday_in, interaction_log, reminders_compute

pytestmark = pytest.mark.django_db

# 2026-03-01 16:30 UTC is already 2026-03-02 00:30 in Shanghai (UTC+8).
LATE_UTC = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
EARLY_UTC = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 on 2026-03-01 in Shanghai


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


def _follow_up(rep, customer, on):
    interaction, _ = interaction_log(
        user=rep, customer=customer, type="visit", summary="拜访", next_follow_up_on=on
    )
    return interaction


def test_today_is_the_configured_zones_day():
    with time_machine.travel(LATE_UTC, tick=False):
        assert timezone.localdate() == date(2026, 3, 2)
    with time_machine.travel(EARLY_UTC, tick=False):
        assert timezone.localdate() == date(2026, 3, 1)


def test_follow_up_is_due_from_local_midnight(rep, customer):
    # given a follow-up for 2 March logged the day before
    with time_machine.travel(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), tick=False):
        _follow_up(rep, customer, date(2026, 3, 2))
    # then at 23:30 local on 1 March it is not due, at 00:30 local on 2 March it is
    with time_machine.travel(EARLY_UTC, tick=False):
        assert selectors.reminders_due_count(rep) == 0
    with time_machine.travel(LATE_UTC, tick=False):
        assert selectors.reminders_due_count(rep) == 1
        day = selectors.my_day(user=rep, today=timezone.localdate())
        assert [r.customer_id for r in day.follow_ups] == [customer.pk]
        assert day.overdue == 0
    # and two days later it is overdue
    with time_machine.travel(datetime(2026, 3, 4, 1, 0, tzinfo=UTC), tick=False):
        day = selectors.my_day(user=rep, today=timezone.localdate())
        assert day.overdue == 1


def test_compute_is_idempotent_and_recorded(rep, customer):
    with time_machine.travel(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), tick=False):
        _follow_up(rep, customer, date(2026, 3, 1))
        Reminder.objects.all().delete()  # as if logged by an integration before the job
        assert reminders_compute(today=date(2026, 3, 1)) == 1
        assert reminders_compute(today=date(2026, 3, 1)) == 0
    assert Reminder.objects.count() == 1
    assert ReminderRun.objects.filter(day=date(2026, 3, 1), user=None).exists()


def test_on_demand_only_when_the_job_has_not_run(rep, customer):
    with time_machine.travel(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), tick=False):
        customer.person.birth_date = date(1990, 3, 3)
        customer.person.save()
        services.reminders_ensure(user=rep, today=date(2026, 3, 1))
        assert Reminder.objects.filter(kind="birthday", user=rep).count() == 1
        assert ReminderRun.objects.filter(user=rep).count() == 1
        Reminder.objects.all().delete()
        services.reminders_ensure(user=rep, today=date(2026, 3, 1))  # already ran today
        assert not Reminder.objects.exists()


def test_birthdays_in_the_next_seven_days_across_the_year_end(rep, customer, make_user):
    # given a person born on 3 January and an organization contact born on 31 December
    customer.person.birth_date = date(1980, 1, 3)
    customer.person.save()
    org = customer_services.customer_create(
        user=rep, kind="organization", data={"name": "宏达机械", "grade": "important"}
    )
    customer_services.contact_save(
        user=rep, customer=org, data={"name": "李经理", "birthday": "1975-12-31"}
    )
    # when the job runs on 28 December (local)
    reminders_compute(today=date(2026, 12, 28))
    # then both birthdays are there with their dates this year and next
    due = {r.key.split(":")[1]: r.due_on for r in Reminder.objects.filter(kind="birthday")}
    assert due == {"customer": date(2027, 1, 3), "contact": date(2026, 12, 31)}
    day = selectors.my_day(user=rep, today=date(2026, 12, 28))
    assert len(day.birthdays) == 2
    # a birthday eight days ahead is not yet listed
    Reminder.objects.all().delete()
    reminders_compute(today=date(2026, 12, 26))
    assert list(Reminder.objects.values_list("due_on", flat=True)) == [date(2026, 12, 31)]


def test_leap_day_birthday_falls_on_28_february_in_common_years():
    assert birthday_in(date(1992, 2, 29), 2027) == date(2027, 2, 28)
    assert birthday_in(date(1992, 2, 29), 2028) == date(2028, 2, 29)


def test_leap_day_birthday_reminded_in_a_common_year(rep, customer):
    customer.person.birth_date = date(1992, 2, 29)
    customer.person.save()
    reminders_compute(today=date(2027, 2, 25))
    assert Reminder.objects.get(kind="birthday").due_on == date(2027, 2, 28)


def test_birthday_of_someone_elses_customer_is_not_mine(rep, other_rep, customer):
    customer.person.birth_date = date(1990, 5, 5)
    customer.person.save()
    reminders_compute(today=date(2026, 5, 1), user=other_rep)
    assert not Reminder.objects.exists()
    reminders_compute(today=date(2026, 5, 1))
    assert Reminder.objects.get().user == rep


def test_done_reminder_marks_the_follow_up_done(rep, customer):
    interaction = _follow_up(rep, customer, timezone.localdate())
    reminder = Reminder.objects.get(interaction=interaction)
    services.reminder_done(user=rep, reminder=reminder)
    interaction.refresh_from_db()
    assert interaction.follow_up_done_at is not None
    assert selectors.reminders_due_count(rep) == 0


def test_someone_elses_reminder_cannot_be_done(rep, other_rep, customer):
    from django.core.exceptions import PermissionDenied

    _follow_up(rep, customer, timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.reminder_done(user=other_rep, reminder=Reminder.objects.get())


def test_handed_over_customer_takes_its_reminders_off_my_day(rep, other_rep, admin_user, customer):
    _follow_up(rep, customer, timezone.localdate())
    assert selectors.reminders_due_count(rep) == 1
    customer_services.customer_assign(user=admin_user, customer=customer, owner=other_rep)
    assert selectors.reminders_due_count(rep) == 0


def test_moving_the_follow_up_date_moves_the_reminder(rep, customer):
    today = timezone.localdate()
    interaction = _follow_up(rep, customer, today)
    services.interaction_update(
        user=rep,
        interaction=interaction,
        data={"next_follow_up_on": date(today.year + 1, 1, 1)},
    )
    assert Reminder.objects.get().due_on == date(today.year + 1, 1, 1)
    assert Interaction.objects.get().next_follow_up_on == date(today.year + 1, 1, 1)
