"""The respondent's pages, under ``/s/``: no sign-in."""

from django.urls import path

from kehu.surveys import views

app_name = "survey_public"
urlpatterns = [
    path("a/<str:public_key>/", views.answer_anonymous, name="anonymous"),
    path("<str:token>/", views.answer_public, name="answer"),
]
