import pytest
from django.conf import settings
from django.utils import translation

from kehu.accounts.models import User
from kehu.core.i18n import in_language_of, language_of


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (None, None),
        (User(language=""), None),
        (User(language="en"), "en"),
        (User(language="zh-hans"), "zh-hans"),
    ],
)
def test_language_of_is_the_users_choice_else_the_sites_default(user, expected):
    # None: the site's default, read when the test runs (the test settings may change it)
    assert language_of(user) == (expected or settings.LANGUAGE_CODE)


def test_in_language_of_translates_inside_the_block_only():
    with translation.override("zh-hans"):
        with in_language_of(User(language="en")):
            assert translation.get_language() == "en"
        assert translation.get_language() == "zh-hans"
