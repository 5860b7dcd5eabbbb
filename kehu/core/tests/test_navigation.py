"""The main menu: rendered once per kind of menu and reused, its badges counted on every page."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kehu.core.navigation import nav_for, nav_html
from kehu.tasks.services import task_create, task_done

pytestmark = pytest.mark.django_db

TASKS_BADGE = 'data-testid="nav-badge-tasks" title="Tasks due today or overdue">{}<'


def test_the_menu_is_the_template_rendered_and_is_reused(rep):
    # given
    items = nav_for(rep)
    # when
    html = nav_html(items, "customers")
    # then: what the template gives, kept for the next page with the same menu
    assert html == render_to_string(
        "core/partials/nav.html", {"nav_items": items, "nav_section": "customers"}
    )
    assert nav_html(nav_for(rep), "customers") is html
    # another active entry, another language: another menu
    assert 'aria-current="page"' in html
    assert nav_html(items, "sales") != html
    with translation.override("zh-hans"):
        assert "客户" in nav_html(items, "customers")
    assert "客户" not in html


def test_a_badge_follows_what_the_user_does(client, rep):
    # given: one task due
    first_task = task_create(user=rep, title="回访", due_at=timezone.now() - timedelta(hours=1))
    client.force_login(rep)
    first = client.get("/customers/").content.decode()
    # when: a second one, then both done
    second_task = task_create(user=rep, title="报价", due_at=timezone.now() - timedelta(minutes=5))
    second = client.get("/customers/").content.decode()
    task_done(user=rep, task=first_task)
    task_done(user=rep, task=second_task)
    third = client.get("/customers/").content.decode()
    # then: each page counts anew, in the sidebar and in the small screen's menu
    assert first.count(TASKS_BADGE.format(1)) == 2
    assert second.count(TASKS_BADGE.format(2)) == 2
    assert 'data-testid="nav-badge-tasks"' not in third
