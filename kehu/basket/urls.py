from django.urls import path

from kehu.basket import views

app_name = "basket"
urlpatterns = [
    path("", views.rules_page, name="rules"),
    path("mine/", views.mining_request, name="mine"),
    path("rules/<int:rule_id>/", views.rule_detail, name="rule"),
    path("rules/<int:rule_id>/segment/", views.rule_segment, name="rule_segment"),
    path("products/<int:product_id>/", views.product_page, name="product"),
    path(
        "customers/<int:customer_id>/suggestions/", views.customer_suggestions, name="suggestions"
    ),
]
