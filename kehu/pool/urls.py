from django.urls import path

from kehu.pool import views

app_name = "pool"
urlpatterns = [
    path("", views.pool_list, name="list"),
    path("<int:customer_id>/claim/", views.pool_claim, name="claim"),
    path("settings/", views.pool_policy_edit, name="policy"),
]
