"""A database router for a primary and its streaming replicas (see docs/scaling_out.rst).

Writes go to ``default``, the primary; reads to one of the aliases of
``ENTITY_EVENT_READ_REPLICAS``, chosen at random per query, except inside
:func:`~entity_event.databases.reads_on_primary`, where they go to the primary too. Migrations
run on the primary only: a replica receives them by streaming.
"""

import random

from django.db import DEFAULT_DB_ALIAS

from entity_event import app_settings
from entity_event.databases import primary_pinned


class ReplicaRouter:
    """Reads on a replica, writes (and pinned reads) on the primary, for every model."""

    def db_for_read(self, model, **hints) -> str:
        replicas = app_settings.read_replicas()
        if primary_pinned() or not replicas:
            return DEFAULT_DB_ALIAS
        return random.choice(replicas)

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        """Rows of the primary and of its replicas are the same rows."""
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
