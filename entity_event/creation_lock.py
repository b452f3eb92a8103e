"""The creation lock: which event ids may still be taken by a transaction that has not committed.

Event ids come from a sequence, which is not commit-ordered: a transaction may take id 100, a
later one id 101 and commit first. A reader that treats "every id up to the newest it sees" as
settled would then count 100 before it exists. On PostgreSQL each creating transaction publishes,
once, a lower bound of the ids it takes (the newest id it could see before taking any) as two
shared transaction-level advisory locks, which every session can read in ``pg_locks`` and which
end with the transaction; :func:`newest_settled_id` stays below every bound published. Nothing
waits: the locks are shared and nobody takes them exclusively. SQLite serialises writers, so an
id there is only taken by the one transaction that may write. See docs/read_state.rst.
"""

from django.db import connections

from entity_event.registry import models

#: The first keys of the two advisory locks holding a bound: its high and its low 32 bits.
HIGH_KEY, LOW_KEY = 1_936_023_610, 1_936_023_611

#: A transaction-local setting holding the bound this transaction published, so that it
#: publishes only once however many batches it creates (each bound would be two more locks).
PUBLISHED = "entity_event.creating_above"


#: What publishes the bound, per vendor: a creating transaction's two locks and its setting.
_PUBLISH = {
    "postgresql": [
        f"SELECT pg_advisory_xact_lock_shared({HIGH_KEY}, (bound >> 32)::int4),"
        f" pg_advisory_xact_lock_shared({LOW_KEY}, bound::bit(32)::int4),"
        f" set_config('{PUBLISHED}', bound::text, true)"
        " FROM (SELECT coalesce(max(id), 0)::int8 AS bound FROM {table}) AS newest"
        f" WHERE coalesce(current_setting('{PUBLISHED}', true), '') = ''"
    ],
}


def lock_creation(database: str) -> None:
    """Publish, for the current transaction on ``database``, that it may take ids above the
    newest id it sees now; once per transaction. Call it inside the transaction, before the ids
    are taken. SQLite needs nothing: its one writer takes the ids."""
    connection = connections[database]
    table = connection.ops.quote_name(models.Event._meta.db_table)
    with connection.cursor() as cursor:
        for sql in _PUBLISH.get(connection.vendor, []):  # PostgreSQL only
            cursor.execute(sql.format(table=table))


#: The lowest bound that another transaction on this database published, if any.
_LOWEST_BOUND = f"""
    SELECT min((high.objid::int8 << 32) | low.objid::int8)
    FROM pg_locks high JOIN pg_locks low ON low.virtualtransaction = high.virtualtransaction
    WHERE high.locktype = 'advisory' AND high.classid = {HIGH_KEY} AND high.objsubid = 2
      AND low.locktype = 'advisory' AND low.classid = {LOW_KEY} AND low.objsubid = 2
      AND high.database = low.database
      AND high.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND high.pid IS DISTINCT FROM pg_backend_pid()
"""

#: The newest settled id, per vendor, from the newest id there is (``{newest}``).
_SETTLED = {"postgresql": f"SELECT least(({{newest}}), ({_LOWEST_BOUND}))"}


def newest_settled_id(database: str) -> int:
    """The newest event id at or below which no other transaction is still creating events
    (0 when there are none), in one statement.

    Every id at or below it is committed, deleted or never to be used, so a reader may count
    them as what it has seen; this transaction's own uncommitted events count as settled.
    """
    connection = connections[database]
    table = connection.ops.quote_name(models.Event._meta.db_table)
    newest = f"SELECT coalesce(max(id), 0) FROM {table}"
    with connection.cursor() as cursor:
        cursor.execute(_SETTLED.get(connection.vendor, "{newest}").format(newest=newest))
        return cursor.fetchone()[0]
