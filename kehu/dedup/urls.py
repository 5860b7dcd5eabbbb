from django.urls import path

from kehu.dedup import views

app_name = "dedup"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("find/", views.run_request, name="find"),
    path("<int:candidate_id>/", views.compare, name="compare"),
    path("<int:candidate_id>/merge/", views.merge, name="merge"),
    path("<int:candidate_id>/dismiss/", views.dismiss, name="dismiss"),
    path("merges/", views.merge_list, name="merges"),
    path("merges/<int:merge_id>/undo/", views.merge_undo, name="undo"),
]
