"""Flags accept booleans only, so a string or a number cannot act by its truthiness."""

import pytest

from entity_event.arguments import check_flag


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_passes(value):
    check_flag("seen", value)


def test_none_passes_only_where_allowed():
    check_flag("seen", None, allow_none=True)
    with pytest.raises(TypeError, match=r"seen must be True or False, not None\."):
        check_flag("seen", None)


@pytest.mark.parametrize("value", ["false", "no", 0, 1, [], "True"])
def test_anything_else_is_a_type_error_naming_the_argument_and_the_value(value):
    with pytest.raises(TypeError) as raised:
        check_flag("include_expired", value, allow_none=True)
    assert str(raised.value) == f"include_expired must be True, False or None, not {value!r}."
