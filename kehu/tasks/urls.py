from django.urls import path

from kehu.tasks import views

app_name = "tasks"
urlpatterns = [
    path("", views.my_work_view, name="my_work"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/<str:token>.ics", views.ical_feed, name="ical"),
    path("tasks/new/", views.task_create, name="create"),
    path("tasks/<int:task_id>/", views.task_detail, name="detail"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/done/", views.task_done, name="done"),
    path("tasks/<int:task_id>/reopen/", views.task_reopen, name="reopen"),
]
