"""Django set-up for the benchmark scripts, and a throwaway database they work in.

The scripts never touch the project's own database (the demo's data): Django's test-database
machinery creates a database of the given name, migrates it, and drops it at the end.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    """Configure Django with the project's settings, without DEBUG's query log (it grows).

    Under other settings (django-entity-event 3.1.0's, see settings_3x.py) the project's own
    ``entity_event`` must not shadow the installed one, so the project is not put on the path.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    if os.environ["DJANGO_SETTINGS_MODULE"] == "settings":
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()


@contextmanager
def throwaway_database(name: str) -> Iterator[None]:
    """Create and migrate database ``name`` (dropping a leftover one), use it, then drop it."""
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    original_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
