from django.urls import path

from kehu.insight import views

app_name = "insight"
urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("views/<int:view_id>/", views.saved_view, name="view"),
    path("models/", views.models, name="models"),
]
