"""After an action, a form's ``next`` page is followed only when it is on this site: a crafted
link must not send the user elsewhere (an open redirect)."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from kehu.core.http import next_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/customers/?grade=important", "/customers/?grade=important"),
        ("", "/home/"),
        ("https://evil.example/phish", "/home/"),
        ("//evil.example/phish", "/home/"),
        ("javascript:alert(1)", "/home/"),
        ("http://testserver/tasks/", "http://testserver/tasks/"),
    ],
)
def test_only_this_sites_pages(given, expected):
    request = RequestFactory().post("/x/", {"next": given})
    assert next_url(request, "/home/") == expected


@pytest.mark.django_db
def test_a_real_action_refuses_another_site(client, rep):
    from kehu.customers.tests.factories import make_person
    from kehu.tasks.services import task_create

    customer = make_person(rep, "钱芳")
    task = task_create(user=rep, title="回访", customer=customer, due_at=timezone.now())
    client.force_login(rep)
    answer = client.post(f"/work/tasks/{task.pk}/done/", {"next": "https://evil.example/"})
    assert answer.status_code == 302
    assert answer.url == f"/work/tasks/{task.pk}/"
