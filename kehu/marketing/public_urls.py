from django.urls import path

from kehu.marketing import views

app_name = "marketing_public"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>/", views.track_open, name="open"),
    path("c/<str:token>/", views.track_click, name="click"),
]
