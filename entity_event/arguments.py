"""Checks of the arguments callers pass, so that a wrong type fails loudly instead of acting by truthiness."""


def check_flag(name: str, value, *, allow_none: bool = False) -> None:
    """Raise ``TypeError`` naming ``name`` unless ``value`` is ``True`` or ``False`` (or ``None`` if allowed).

    ``"false"`` or ``0`` would otherwise act as their truthiness (``seen="false"`` keeping the seen
    events), silently giving the opposite of what the caller meant.
    """
    if value is True or value is False or (allow_none and value is None):
        return
    allowed = "True, False or None" if allow_none else "True or False"
    raise TypeError(f"{name} must be {allowed}, not {value!r}.")


#: The ids a 64-bit ``bigint`` column holds. A number outside them names no row, and SQLite raises
#: ``OverflowError`` on it as a parameter.
ID_RANGE = range(-(2**63), 2**63)
