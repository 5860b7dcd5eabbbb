"""Intake settings for administrators, under ``/intake/``."""

from django.urls import path

from kehu.intake import admin_views, views

app_name = "intake_admin"
urlpatterns = [
    path("forms/", admin_views.form_list, name="forms"),
    path("forms/new/", admin_views.form_edit, name="form_new"),
    path("forms/<int:form_id>/", admin_views.form_edit, name="form_edit"),
    path("assignment/", admin_views.assignment_edit, name="assignment"),
    path("handovers/", views.handover_list, name="handovers"),
]
