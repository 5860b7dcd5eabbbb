import pytest
from django.core.exceptions import ValidationError

from kehu.core.text import is_plain_line, validate_plain_text, visible_controls


@pytest.mark.parametrize("value", ["张伟", "a\tb", "", "Zhang Wei"])
def test_plain_single_line_text_passes(value):
    assert validate_plain_text(value, multiline=False) == value


def test_line_breaks_only_in_multiline_text():
    assert validate_plain_text("one\ntwo\r\nthree", multiline=True) == "one\ntwo\r\nthree"
    for text in ("one\ntwo", "one\rtwo", "one\u2028two"):
        with pytest.raises(ValidationError, match="line break"):
            validate_plain_text(text, multiline=False)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused_everywhere(char):
    for multiline in (True, False):
        with pytest.raises(ValidationError, match="control character"):
            validate_plain_text(f"a{char}b", multiline=multiline)


@pytest.mark.parametrize("value", ["张伟", "a\tb", "", "one\ntwo", "a\x00b", "a\x85b", "a\u2028b"])
def test_is_plain_line_agrees_with_the_single_line_check(value):
    try:
        validate_plain_text(value, multiline=False)
        valid = True
    except ValidationError:
        valid = False
    assert is_plain_line(value) is valid


def test_control_characters_are_shown_as_their_pictures():
    assert visible_controls("李\x00娜\x07\x7f\x85") == "李␀娜␇␡\ufffd"
    assert visible_controls("张伟\tfirst\nsecond") == "张伟\tfirst\nsecond"
