"""The public FAQ, under ``/faq/``: no sign-in, read-only, published public articles only."""

from django.urls import path

from kehu.knowledge import views

app_name = "faq"
urlpatterns = [
    path("", views.faq_index, name="index"),
    path("p/<slug:code>/", views.faq_product, name="product"),
    path("a/<int:article_id>/", views.faq_article, name="article"),
    path("a/<int:article_id>/helpful/", views.faq_rate, name="rate"),
]
