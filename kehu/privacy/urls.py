from django.urls import path

from kehu.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/update/", views.request_update, name="update"),
    path("<int:request_id>/copy/", views.request_copy, name="copy"),
    path("<int:request_id>/copy/download/", views.request_copy_download, name="copy_download"),
    path("<int:request_id>/handed-over/", views.request_handed_over, name="handed_over"),
    path("<int:request_id>/erase/", views.request_erase, name="erase"),
    path("<int:request_id>/correct/", views.request_correct, name="correct"),
    path("<int:request_id>/withdraw/", views.request_withdraw, name="withdraw"),
    path("customers/<int:customer_id>/consents/", views.customer_consents, name="consents"),
    path("retention/", views.retention, name="retention"),
    path("retention/rules/<int:rule_id>/toggle/", views.retention_rule_toggle, name="rule_toggle"),
    path("retention/decide/", views.retention_decide, name="retention_decide"),
    path("retention/run/", views.retention_run, name="retention_run"),
]
