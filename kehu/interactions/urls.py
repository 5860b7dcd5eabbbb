from django.urls import path

from kehu.interactions import views

app_name = "interactions"
urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path("my-day/reminders/<int:reminder_id>/done/", views.reminder_done, name="reminder_done"),
    path("my-day/notifications/read/", views.notifications_read, name="notifications_read"),
    path("customers/<int:customer_id>/timeline/", views.customer_timeline, name="timeline"),
    path(
        "customers/<int:customer_id>/interactions/new/",
        views.interaction_create,
        name="create",
    ),
    path("interactions/<int:interaction_id>/delete/", views.interaction_delete, name="delete"),
    path(
        "interactions/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
