from django.urls import path

from kehu.marketing import views

app_name = "marketing"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("channels/", views.channels_page, name="channels"),
    path("calls/", views.my_calls, name="my_calls"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<int:campaign_id>/template/", views.template_edit, name="template"),
    path("<int:campaign_id>/preview/", views.template_preview, name="preview"),
    path("<int:campaign_id>/test-send/", views.test_send, name="test_send"),
    path("<int:campaign_id>/launch/", views.campaign_launch, name="launch"),
    path("<int:campaign_id>/schedule/", views.campaign_schedule, name="schedule"),
    path("<int:campaign_id>/finish/", views.campaign_finish, name="finish"),
    path("<int:campaign_id>/costs/", views.cost_add, name="cost_add"),
    path("<int:campaign_id>/progress/", views.progress, name="progress"),
    path("<int:campaign_id>/members/", views.member_list, name="members"),
    path("<int:campaign_id>/labels/", views.mailing_labels, name="labels"),
    path("<int:campaign_id>/assign/", views.call_assign, name="assign"),
    path("<int:campaign_id>/results/", views.results_page, name="results"),
    path("members/<int:member_id>/response/", views.response_add, name="response"),
    path("members/<int:member_id>/contact/", views.contact_add, name="contact"),
]
