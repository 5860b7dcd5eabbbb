from django.urls import path

from kehu.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("satisfaction/", views.satisfaction_triggers, name="satisfaction"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/results/", views.survey_results, name="results"),
    path("<int:survey_id>/export/", views.survey_export, name="export"),
    path("<int:survey_id>/interview/", views.interview_pick, name="interview_pick"),
    path("<int:survey_id>/interview/<int:customer_id>/", views.interview, name="interview"),
]
