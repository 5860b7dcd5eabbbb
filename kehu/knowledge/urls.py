from django.urls import path

from kehu.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("questions/", views.question_list, name="questions"),
    path("questions/new/", views.question_create, name="question_new"),
    path("questions/suggest/", views.question_suggest, name="suggest"),
    path("questions/<int:question_id>/", views.question_detail, name="question"),
    path(
        "questions/<int:question_id>/<slug:action>/", views.question_action, name="question_action"
    ),
    path("experts/", views.expert_list, name="experts"),
    path("experts/new/", views.expert_edit, name="expert_new"),
    path("experts/<int:user_id>/edit/", views.expert_edit, name="expert_edit"),
    path("report/", views.report, name="report"),
    path("notes/opportunity/<int:opportunity_id>/", views.win_loss_note, name="win_loss_note"),
    path("", views.article_list, name="list"),
    path("stale/", views.stale_list, name="stale"),
    path("new/", views.article_create, name="new"),
    path("<int:article_id>/", views.article_detail, name="article"),
    path("<int:article_id>/edit/", views.article_edit, name="edit"),
    path("<int:article_id>/history/", views.article_history, name="history"),
    path("<int:article_id>/attach/", views.article_attach, name="attach"),
    path("files/<int:attachment_id>/", views.article_attachment_download, name="attachment"),
    path(
        "files/<int:attachment_id>/remove/",
        views.article_attachment_remove,
        name="attachment_remove",
    ),
    path("<int:article_id>/<slug:action>/", views.article_action, name="action"),
]
