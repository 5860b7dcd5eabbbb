from django.urls import path

from kehu.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("customers/", views.kpi_customers_view, name="kpi_customers"),
    path("customers/<int:customer_id>/card/", views.customer_card_view, name="customer_card"),
    path("risks/", views.risk_list_view, name="risks"),
    path("risks/recompute/", views.risk_recompute_view, name="recompute"),
    path("alerts/", views.alert_list_view, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge_view, name="alert_ack"),
    path("ageing/", views.ageing_view, name="ageing"),
    path("reviews/", views.reviews_view, name="reviews"),
    path("reviews/new/<int:customer_id>/", views.review_new_view, name="review_new"),
    path("reviews/<int:review_id>/decide/", views.review_decide_view, name="review_decide"),
    path("targets/", views.targets_view, name="targets"),
    path("targets/<int:target_id>/delete/", views.target_delete_view, name="target_delete"),
    path("growth/", views.growth_view, name="growth"),
    path("watch/<int:customer_id>/", views.watch_view, name="watch"),
    path("service/", views.service_view, name="service"),
    path("rules/", views.rules_view, name="rules"),
    path("rules/reviews/", views.review_settings_view, name="review_settings"),
    path("rules/checklist/", views.review_check_view, name="review_check"),
]
