from django.urls import path

from kehu.loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("ledger/", views.ledger_view, name="ledger"),
    path("settings/", views.settings_view, name="settings"),
    path("care/", views.care_view, name="care"),
    path("import/", views.member_import_view, name="member_import"),
    path("customers/<int:customer_id>/enrol/", views.enrol_view, name="enrol"),
    path("orders/<int:order_id>/redeem/", views.redeem_view, name="redeem"),
    path("care/tasks/<int:task_id>/done/", views.care_done_view, name="care_done"),
]
