from django.urls import path

from kehu.customers import segment_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("segments/", segment_views.segment_list, name="segments"),
    path("segments/new/", segment_views.segment_create, name="segment_create"),
    path("segments/<int:segment_id>/count/", segment_views.segment_refresh, name="segment_refresh"),
    path("segments/<int:segment_id>/delete/", segment_views.segment_delete, name="segment_delete"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/history/", views.customer_history, name="history"),
    path("<int:customer_id>/groups/<slug:group>/", views.customer_group, name="group"),
    path(
        "<int:customer_id>/groups/<slug:group>/edit/",
        views.customer_group_edit,
        name="group_edit",
    ),
    path("<int:customer_id>/reveal/", views.customer_reveal, name="reveal"),
    path("<int:customer_id>/assign/", views.customer_assign, name="assign"),
    path("<int:customer_id>/share/", views.customer_share, name="share"),
    path("<int:customer_id>/archive/", views.customer_archive, name="archive"),
    path("<int:customer_id>/restore/", views.customer_restore, name="restore"),
    path("<int:customer_id>/reviewed/", views.customer_mark_reviewed, name="mark_reviewed"),
    path("<int:customer_id>/contacts/", views.contact_list, name="contacts"),
    path("<int:customer_id>/contacts/new/", views.contact_edit, name="contact_new"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/delete/",
        views.contact_delete,
        name="contact_delete",
    ),
]
