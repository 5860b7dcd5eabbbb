from django.urls import path

from kehu.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("stale/", views.stale_list, name="stale"),
    path("new/", views.article_create, name="new"),
    path("<int:article_id>/", views.article_detail, name="article"),
    path("<int:article_id>/edit/", views.article_edit, name="edit"),
    path("<int:article_id>/history/", views.article_history, name="history"),
    path("<int:article_id>/<slug:action>/", views.article_action, name="action"),
]
