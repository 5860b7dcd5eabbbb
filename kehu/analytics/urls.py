from django.urls import path

from kehu.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.analytics_overview, name="overview"),
    path("customers/", views.analytics_customers, name="customers"),
    path("refresh/", views.analytics_refresh, name="refresh"),
    path("runs/<int:run_id>/", views.analytics_run_status, name="run_status"),
    path("grades/accept/", views.grades_accept, name="grades_accept"),
]
