"""Intake settings for administrators, under ``/intake/``."""

from django.urls import path

from kehu.intake import admin_views, views

app_name = "intake_admin"
urlpatterns = [
    path("forms/", admin_views.form_list, name="forms"),
    path("forms/new/", admin_views.form_edit, name="form_new"),
    path("forms/<int:form_id>/", admin_views.form_edit, name="form_edit"),
    path("assignment/", admin_views.assignment_edit, name="assignment"),
    path("assignment/rules/new/", admin_views.rule_edit, name="rule_new"),
    path("assignment/rules/<int:rule_id>/", admin_views.rule_edit, name="rule_edit"),
    path("assignment/rules/<int:rule_id>/delete/", admin_views.rule_delete, name="rule_delete"),
    path("handovers/", views.handover_list, name="handovers"),
]
