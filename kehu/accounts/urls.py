from django.urls import path

from kehu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("two-factor/", views.twofactor_page, name="twofactor"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_switch, name="language"),
    path("settings/", views.settings_page, name="settings"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
