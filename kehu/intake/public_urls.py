"""Public web forms, under ``/f/``: no sign-in."""

from django.urls import path

from kehu.intake import views

app_name = "public_forms"
urlpatterns = [
    path("<slug:slug>/", views.public_form, name="form"),
    path("<slug:slug>/thanks/", views.public_form_thanks, name="thanks"),
]
