from django.urls import path

from kehu.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_new, name="new"),
    path("<int:job_id>/download/", views.export_download, name="download"),
]
