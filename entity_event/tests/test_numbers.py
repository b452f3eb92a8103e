"""Whole numbers read from web input: ASCII digits within 64 bits, nothing else."""

import pytest

from entity_event.numbers import parse_number


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("7", 7), ("0042", 42), ("0" * 5000 + "1", 1), (str(2**63 - 1), 2**63 - 1)]
)
def test_ascii_digits_within_64_bits_are_read(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "²",
        "①",
        "٣",
        "１",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "1.0",
        "1e3",
        "0x1",
        str(2**63),
        "9" * 30,
        "9" * 5000,
    ],
)
def test_anything_else_is_a_value_error_naming_the_text(text):
    with pytest.raises(ValueError) as raised:
        parse_number(text)
    assert str(raised.value) == f"{text!r} is not a whole number from 0 to {2**63 - 1}."
