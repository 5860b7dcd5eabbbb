from django.urls import path

from kehu.service import views

app_name = "service"
urlpatterns = [
    path("", views.case_queue, name="queue"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/status/", views.case_transition, name="case_transition"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:case_id>/rating/", views.case_rate, name="case_rate"),
    path("cases/<int:case_id>/reply/", views.case_reply, name="case_reply"),
    path("cases/<int:case_id>/escalate/", views.case_escalate, name="case_escalate"),
    path("cases/<int:case_id>/priority/", views.case_priority, name="case_priority"),
    path("customers/<int:customer_id>/cases/new/", views.case_create, name="case_new"),
    path("customers/<int:customer_id>/feedback/new/", views.feedback_create, name="feedback_new"),
    path("feedback/", views.feedback_list, name="feedback"),
    path("feedback/products/", views.product_report, name="product_report"),
    path("settings/", views.service_settings, name="settings"),
    path("settings/hours/", views.service_settings_hours, name="settings_hours"),
    path("settings/sla/", views.service_settings_sla, name="settings_sla"),
    path("settings/days/", views.special_day_add, name="special_day_add"),
    path("settings/days/<int:day_id>/delete/", views.special_day_delete, name="special_day_delete"),
]
