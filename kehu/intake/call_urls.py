"""The agents' screen-pop, under ``/calls/``."""

from django.urls import path

from kehu.intake import views

app_name = "calls"
urlpatterns = [
    path("lookup", views.caller_lookup, name="lookup"),
]
