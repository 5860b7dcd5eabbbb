from django.urls import path

from kehu.bulk import views

app_name = "bulk"
urlpatterns = [
    path("<int:action_id>/", views.action_detail, name="detail"),
    path("<int:action_id>/undo/", views.action_undo, name="undo"),
    path("<slug:kind>/", views.bulk_confirm, name="confirm"),
]
