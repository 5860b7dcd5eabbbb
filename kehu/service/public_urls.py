"""The customer's satisfaction page, under ``/r/``: no sign-in, a one-time signed link."""

from django.urls import path

from kehu.service import views

app_name = "public_rating"
urlpatterns = [
    path("<str:token>/", views.rating_public, name="rate"),
]
