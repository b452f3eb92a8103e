"""Stand-in for ambition-utils' ``durable``: refuse to run inside a transaction.

Like the real decorator, the check is skipped with ``DISABLE_DURABILITY_CHECKING = True``
(which the emailer's tests set, since every Django test runs inside a transaction).
"""

import functools

from django.conf import settings
from django.db import ProgrammingError, transaction


def durable(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block and not getattr(
            settings, "DISABLE_DURABILITY_CHECKING", False
        ):
            raise ProgrammingError(f"{function.__qualname__} must not run inside a transaction")
        return function(*args, **kwargs)

    return wrapper
