from django.urls import path

from kehu.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path(
        "template/<slug:kind>.<slug:file_format>",
        views.import_template,
        name="template",
    ),
    path("<int:batch_id>/", views.import_detail, name="detail"),
    path("<int:batch_id>/progress/", views.import_progress, name="progress"),
    path("<int:batch_id>/report.xlsx", views.import_report, name="report"),
]
