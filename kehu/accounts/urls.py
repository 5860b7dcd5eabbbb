from django.urls import path

from kehu.accounts import admin_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("two-factor/", views.twofactor_page, name="twofactor"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_switch, name="language"),
    path("settings/", views.settings_page, name="settings"),
    path("password/", views.password_change, name="password_change"),
    path("reset/<uidb64>/<token>/", views.password_reset, name="password_reset"),
    path("sessions/end/", views.sessions_end, name="sessions_end"),
    path("notifications/", views.notifications_save, name="notifications"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", admin_views.user_list, name="users"),
    path("users/new/", admin_views.user_new, name="user_new"),
    path("users/<int:user_id>/", admin_views.user_detail, name="user_detail"),
    path("users/<int:user_id>/active/", admin_views.user_active, name="user_active"),
    path(
        "users/<int:user_id>/password/",
        admin_views.user_password_reset,
        name="user_password_reset",
    ),
    path(
        "users/<int:user_id>/reset-link/",
        admin_views.user_reset_link,
        name="user_reset_link",
    ),
    path("handover/", admin_views.handover_page, name="handover"),
    path("handover/<int:handover_id>/", admin_views.handover_detail, name="handover_detail"),
    path("teams/", admin_views.team_list, name="teams"),
    path("teams/new/", admin_views.team_edit, name="team_new"),
    path("teams/<int:team_id>/", admin_views.team_edit, name="team_edit"),
]
