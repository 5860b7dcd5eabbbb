from django.urls import path

from kehu.customers import admin_views

app_name = "archive_admin"
urlpatterns = [
    path("channels/", admin_views.channel_list, name="channels"),
    path("channels/new/", admin_views.channel_edit, name="channel_new"),
    path("channels/<int:channel_id>/", admin_views.channel_edit, name="channel_edit"),
    path("fields/", admin_views.custom_field_list, name="custom_fields"),
    path("fields/new/", admin_views.custom_field_edit, name="custom_field_new"),
    path("fields/<int:field_id>/", admin_views.custom_field_edit, name="custom_field_edit"),
]
