from django.urls import path

from kehu.sales import views

app_name = "sales"
urlpatterns = [
    path("", views.order_list, name="orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/payments/", views.payment_create, name="payment_create"),
    path("orders/<int:order_id>/edit/", views.order_edit, name="order_edit"),
    path(
        "orders/<int:order_id>/payments/<int:payment_id>/reverse/",
        views.payment_reverse,
        name="payment_reverse",
    ),
    path("orders/product-search/", views.product_search, name="product_search"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:order_id>/deliver/", views.order_deliver, name="order_deliver"),
    path("opportunities/", views.opportunity_board, name="opportunities"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    path(
        "opportunities/<int:opportunity_id>/",
        views.opportunity_detail,
        name="opportunity_detail",
    ),
    path(
        "opportunities/<int:opportunity_id>/edit/",
        views.opportunity_edit,
        name="opportunity_edit",
    ),
    path(
        "opportunities/<int:opportunity_id>/products/",
        views.opportunity_products,
        name="opportunity_products",
    ),
    path(
        "opportunities/<int:opportunity_id>/move/",
        views.opportunity_move,
        name="opportunity_move",
    ),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path("performance/", views.performance, name="performance"),
    path("pipeline/", views.pipeline_settings, name="pipeline"),
    path("pipeline/new/", views.pipeline_stage_edit, name="pipeline_stage_create"),
    path("pipeline/<int:stage_id>/", views.pipeline_stage_edit, name="pipeline_stage_edit"),
    path(
        "pipeline/<int:stage_id>/delete/",
        views.pipeline_stage_delete,
        name="pipeline_stage_delete",
    ),
]
