"""Whole numbers read from web input: the ids and counts of URLs, forms and cursors."""

from entity_event.arguments import ID_RANGE

#: Digits of the largest id; longer text is refused before ``int()``, which refuses 4,300 digits.
MAX_DIGITS = len(str(ID_RANGE[-1]))


def parse_number(text: str) -> int:
    """The number ``text`` writes in ASCII digits, within the 64-bit range of ids; ``ValueError``
    naming ``text`` otherwise.

    ``str.isdigit()`` accepts ``"²"`` and ``"①"``, which ``int()`` refuses; ``int()`` accepts signs,
    spaces, underscores and the digits of other scripts; neither bounds the number.
    """
    if text.isascii() and text.isdigit():
        digits = text.lstrip("0") or "0"
        if len(digits) <= MAX_DIGITS and int(digits) in ID_RANGE:
            return int(digits)
    raise ValueError(f"{text!r} is not a whole number from 0 to {ID_RANGE[-1]}.")
