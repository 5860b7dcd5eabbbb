"""Language: chosen by the browser, switched in the UI, remembered on the account."""

import pytest
from django.test import Client

from kehu.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_browser_language_picks_the_interface_language(client):
    assert "Sign in" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "登录" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh").text


def test_default_language_is_simplified_chinese(client, settings):
    from kehu.config import settings as configured

    assert configured.LANGUAGE_CODE == "zh-hans"
    settings.LANGUAGE_CODE = configured.LANGUAGE_CODE
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.text


def test_switching_language_sets_the_cookie_and_the_users_setting(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/language/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert response.cookies["kehu_language"].value == "en"
    rep.refresh_from_db()
    assert rep.language == "en"
    assert "Customers" in client.get("/customers/").text


def test_switch_rejects_unknown_language_and_foreign_redirects(client, rep):
    client.force_login(rep)
    response = client.post(
        "/accounts/language/", {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    rep.refresh_from_db()
    assert rep.language == ""


def test_users_language_follows_them_to_a_new_browser(rep):
    rep.language = "en"
    rep.save()
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    response = browser.post("/accounts/login/", {"username": "rep1", "password": PASSWORD})
    assert response.cookies["kehu_language"].value == "en"
    assert "Sign out" in browser.get("/").text


def test_anonymous_visitor_can_switch_language_on_the_login_page(client):
    response = client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.cookies["kehu_language"].value == "en"
