from django.urls import path

from kehu.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.quality_overview, name="overview"),
    path("recompute/", views.quality_recompute, name="recompute"),
    path("issues/<slug:metric>/", views.quality_issues, name="issues"),
]
