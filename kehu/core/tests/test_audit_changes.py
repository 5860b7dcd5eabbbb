"""Changes to who may do what (roles, teams) and to settings and rules are audited, without the
values; old audit events are pruned after the retention period, and the pruning is audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.accounts.models import Role, Team
from kehu.core.audit import audit_log, audit_prune
from kehu.core.models import AuditEvent
from kehu.intake.services.leads import lead_routing_rule_delete, lead_routing_rule_save
from kehu.service import services as service_services

pytestmark = pytest.mark.django_db

SETTINGS = AuditEvent.Action.SETTINGS_CHANGED


def test_a_rule_saved_and_deleted_is_audited(admin_user, rep):
    rule = lead_routing_rule_save(
        user=admin_user, kind="region", province="广东省", target="user", user_id=rep.pk
    )
    lead_routing_rule_delete(user=admin_user, rule=rule)
    events = AuditEvent.objects.filter(action=SETTINGS, object_type="intake.leadroutingrule")
    assert [e.detail for e in events.order_by("id")] == [{"changed": []}, {"deleted": True}]
    assert {e.actor for e in events} == {admin_user}
    assert {e.object_id for e in events} == {str(rule.pk)}


def test_sla_times_changed_are_audited_with_the_fields_not_the_values(admin_user):
    service_services.sla_policies_save(user=admin_user, minutes={("question", "low"): (30, 60)})
    event = AuditEvent.objects.get(action=SETTINGS, object_type="service.slapolicy")
    assert event.detail == {"changed": ["resolution_minutes", "response_minutes"]}


def test_a_refused_change_writes_no_audit_event(rep):
    with pytest.raises(Exception):  # noqa: B017, PT011  (the refusal's type is not the point)
        service_services.sla_policies_save(user=rep, minutes={("question", "low"): (30, 60)})
    assert not AuditEvent.objects.filter(action=SETTINGS).exists()


def test_a_role_change_in_the_admin_site_is_audited(client, admin_user, rep):
    client.force_login(admin_user)
    url = f"/admin/accounts/user/{rep.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": rep.username,
            "role": Role.ARCHIVE_ADMIN,
            "last_login_0": "",
            "date_joined_0": timezone.localtime(rep.date_joined).strftime("%Y-%m-%d"),
            "date_joined_1": timezone.localtime(rep.date_joined).strftime("%H:%M:%S"),
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-team": str(Team.objects.create(name="华南").pk),
        }
    )
    for key in ("groups", "user_permissions"):
        data[key] = [g.pk for g in data.get(key, [])]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rep.refresh_from_db()
    assert rep.role == Role.ARCHIVE_ADMIN
    changed = [
        e.detail["changed"]
        for e in AuditEvent.objects.filter(
            action=AuditEvent.Action.ROLE_CHANGED, object_id=str(rep.pk)
        ).order_by("id")
    ]
    assert changed == [["role"], ["teams"]]


def test_old_events_are_pruned_and_the_pruning_is_recorded():
    old = audit_log(action=AuditEvent.Action.LOGIN, username="a")
    recent = audit_log(action=AuditEvent.Action.LOGIN, username="b")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=400))
    assert audit_prune(keep_days=0) == 0  # 0 keeps every event
    assert audit_prune(keep_days=365) == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    pruned = AuditEvent.objects.get(action=AuditEvent.Action.AUDIT_PRUNED)
    assert pruned.detail["deleted"] == 1
    assert pruned.detail["keep_days"] == 365
