"""Whole numbers read from outside: the ids and counts of URLs, forms, cursors and command lines."""

import argparse
from collections.abc import Callable

from django.utils.translation import gettext_noop

from entity_event.arguments import ID_RANGE
from entity_event.exceptions import Message

#: Digits of the largest id; longer text is refused before ``int()``, which refuses 4,300 digits.
MAX_DIGITS = len(str(ID_RANGE[-1]))


def parse_number(text: str) -> int:
    """The number ``text`` writes in ASCII digits, within the 64-bit range of ids; ``ValueError``
    naming ``text`` otherwise (a :class:`~entity_event.exceptions.Message`, shown by the forms).

    ``str.isdigit()`` accepts ``"²"`` and ``"①"``, which ``int()`` refuses; ``int()`` accepts signs,
    spaces, underscores and the digits of other scripts; neither bounds the number.
    """
    if text.isascii() and text.isdigit():
        digits = text.lstrip("0") or "0"
        if len(digits) <= MAX_DIGITS and int(digits) in ID_RANGE:
            return int(digits)
    raise ValueError(
        Message(
            gettext_noop("%(text)r is not a whole number from 0 to %(max)d."), text=text, max=ID_RANGE[-1]
        )
    )


def number_argument(minimum: int = 0) -> Callable[[str], int]:
    """An ``argparse`` type: a number of :func:`parse_number` of at least ``minimum``, or an error
    naming the text."""

    def read(text: str) -> int:
        try:
            number = parse_number(text)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, not {text!r}")
        return number

    return read
