"""The timeline, the log form, attachments and "my day" in the browser's HTTP terms."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.interactions.models import Attachment, Interaction, Reminder
from kehu.interactions.services import interaction_log
from kehu.interactions.timeline import customer_timeline_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


def _log(rep, customer, days_ago, summary="拜访", type="visit"):
    interaction, _ = interaction_log(
        user=rep,
        customer=customer,
        type=type,
        summary=summary,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )
    return interaction


def test_timeline_pages_never_skip_items_sharing_a_time(rep, customer):
    # given five interactions, three of them at the same instant
    now = timezone.now()
    same = now - timedelta(days=3)
    for i, at in enumerate([now - timedelta(days=1), now - timedelta(days=2), same, same, same]):
        interaction_log(user=rep, customer=customer, type="visit", summary=f"#{i}", occurred_at=at)
    # when paging two at a time over interactions only
    seen, before = [], None
    while True:
        page = customer_timeline_page(
            user=rep, customer=customer, kinds={"interaction"}, before=before, limit=2
        )
        seen += [item.body for item in page.items]
        if page.next_before is None:
            break
        before = page.next_before
    # then every interaction comes exactly once, newest first
    assert seen[:2] == ["#0", "#1"]
    assert sorted(seen) == ["#0", "#1", "#2", "#3", "#4"]


def test_timeline_filter_by_interaction_type(rep, customer):
    _log(rep, customer, 1, "电话", type="phone_call")
    _log(rep, customer, 2, "拜访", type="visit")
    page = customer_timeline_page(
        user=rep, customer=customer, kinds={"interaction"}, subtypes={"interaction": "visit"}
    )
    assert [i.body for i in page.items] == ["拜访"]


def test_owner_moves_are_named_on_the_timeline(rep, other_rep, admin_user, customer):
    customer_services.customer_assign(user=admin_user, customer=customer, owner=other_rep)
    customer_services.customer_assign(user=admin_user, customer=customer, owner=None)
    page = customer_timeline_page(user=admin_user, customer=customer, kinds={"change"})
    titles = [str(i.title) for i in page.items[:2]]
    assert titles == ["Returned to the public pool", "Handed over"]


def test_detail_page_shows_the_timeline_with_bounded_queries(
    client, rep, customer, django_assert_max_num_queries
):
    client.force_login(rep)
    _log(rep, customer, 1)
    # 40, 1 for the knowledge card (the customer's waiting questions), 2 for the member card
    # (kehu/loyalty: the member, whether a programme exists), 1 for the propensity card
    # (kehu/insight: the customer's scores)
    with django_assert_max_num_queries(44) as few:
        client.get(customer.get_absolute_url())
    for days in range(2, 12):
        interaction = _log(rep, customer, days)
        Attachment.objects.create(
            interaction=interaction,
            file=SimpleUploadedFile("a.txt", b"x"),
            name="a.txt",
            size=1,
            content_type="text/plain",
        )
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        response = client.get(customer.get_absolute_url())
    assert response.text.count('data-testid="tl-item"') >= 11


def test_timeline_htmx_more_and_filter(client, rep, customer):
    for days in range(1, 30):
        _log(rep, customer, days, f"第{days}次")
    client.force_login(rep)
    url = reverse("interactions:timeline", args=[customer.pk])
    first = client.get(url, {"kind": "interaction"}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert first.text.count('data-testid="tl-item"') == 20
    more = first.context["more_url"]
    second = client.get(more, HTTP_HX_REQUEST="true")
    assert second.text.count('data-testid="tl-item"') == 9
    assert 'data-testid="timeline-more"' not in second.text


def test_timeline_of_another_reps_customer_is_404(client, other_rep, customer):
    client.force_login(other_rep)
    assert client.get(reverse("interactions:timeline", args=[customer.pk])).status_code == 404
    assert client.get(reverse("interactions:create", args=[customer.pk])).status_code == 404


def test_log_form_with_follow_up_fact_and_attachment(client, rep, customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(rep)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("interactions:create", args=[customer.pk]),
        {
            "type": "exhibition",
            "direction": "inbound",
            "channel": "exhibition",
            "summary": "在展会上交换名片",
            "next_follow_up_on": tomorrow.isoformat(),
            "next_follow_up_note": "寄样品",
            "new_phones": "138 0013 8000",
            "attachments": SimpleUploadedFile("名片.png", b"\x89PNG", content_type="image/png"),
        },
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert interaction.next_follow_up_on == tomorrow
    assert customer.changes.get(field="phones").channel.code == "exhibition"
    assert Reminder.objects.get().due_on == tomorrow
    attachment = interaction.attachments.get()
    assert str(tmp_path) in attachment.file.path


def test_log_form_errors_name_the_fields(client, rep, customer):
    client.force_login(rep)
    response = client.post(
        reverse("interactions:create", args=[customer.pk]),
        {"type": "visit", "direction": "outbound", "summary": " ", "new_phones": "123"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert 'data-testid="error-summary"' in response.text
    assert not Interaction.objects.exists()


def test_attachment_only_for_who_sees_the_customer(
    client, rep, other_rep, customer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    interaction, _ = interaction_log(
        user=rep,
        customer=customer,
        type="visit",
        summary="x",
        attachments=[SimpleUploadedFile("合同.pdf", b"%PDF-1.4", content_type="application/pdf")],
    )
    url = reverse("interactions:attachment", args=[interaction.attachments.get().pk])
    client.force_login(other_rep)
    assert client.get(url).status_code == 404
    client.force_login(rep)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert not str(settings.MEDIA_URL or "/media/").startswith("/static")


def test_delete_own_within_grace_only(client, rep, other_rep, admin_user, customer):
    interaction = _log(rep, customer, 0)
    client.force_login(admin_user)
    assert client.post(reverse("interactions:delete", args=[interaction.pk])).status_code == 403
    client.force_login(rep)
    response = client.post(reverse("interactions:delete", args=[interaction.pk]))
    assert response.status_code == 302
    assert not Interaction.objects.exists()


def test_leader_gets_no_log_form(client, make_user, customer):
    client.force_login(make_user(Role.LEADER))
    assert client.get(reverse("interactions:create", args=[customer.pk])).status_code == 403


def test_my_day_lists_follow_ups_and_badge(client, rep, customer, django_assert_max_num_queries):
    interaction_log(
        user=rep,
        customer=customer,
        type="visit",
        summary="拜访",
        next_follow_up_on=timezone.localdate(),
        next_follow_up_note="回访报价",
    )
    client.force_login(rep)
    client.get(reverse("interactions:my_day"))  # computes today's reminders once
    for n in range(5):
        other = customer_services.customer_create(
            user=rep, kind="person", data={"name": f"客户{n}"}
        )
        interaction_log(
            user=rep,
            customer=other,
            type="visit",
            summary="x",
            next_follow_up_on=timezone.localdate(),
        )
    # then the page is a fixed number of queries however many reminders it lists
    # 12, 1 for the care tasks (kehu/loyalty) and 1 for the reviews due (kehu/oversight)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("interactions:my_day"))
    assert response.status_code == 200
    assert "回访报价" in response.text
    assert 'data-testid="nav-badge-interactions"' in response.text
    reminder = Reminder.objects.get(customer=customer)
    Reminder.objects.exclude(pk=reminder.pk).delete()
    done = client.post(reverse("interactions:reminder_done", args=[reminder.pk]))
    assert done.status_code == 302
    page = client.get(reverse("interactions:my_day")).text
    assert "回访报价" not in page
    assert 'data-testid="nav-badge-interactions"' not in page


def test_someone_elses_reminder_is_404(client, rep, other_rep, customer):
    interaction_log(
        user=rep,
        customer=customer,
        type="visit",
        summary="x",
        next_follow_up_on=timezone.localdate(),
    )
    client.force_login(other_rep)
    reminder = Reminder.objects.get()
    assert client.post(reverse("interactions:reminder_done", args=[reminder.pk])).status_code == 404


def test_log_it_from_my_day_marks_the_reminder_done(client, rep, customer):
    interaction_log(
        user=rep,
        customer=customer,
        type="visit",
        summary="x",
        next_follow_up_on=timezone.localdate(),
    )
    reminder = Reminder.objects.get()
    client.force_login(rep)
    response = client.post(
        reverse("interactions:create", args=[customer.pk]),
        {"type": "phone_call", "direction": "outbound", "summary": "回访", "reminder": reminder.pk},
    )
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.done_at is not None
