"""The per-medium watermark of the seen marks, its gaps, the triggers that keep them exact, and
the watermarks of the marks that exist (see entity_event.seen_watermark and docs/read_state.rst).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef

from entity_event.creation_lock import newest_settled_id

#: The triggers that keep the gaps exact, per vendor: a deleted mark of an event that still
#: exists becomes a gap (wherever the watermark is, so that no lock is needed against a move of
#: it); the gaps of a deleted event or medium go with it.
TRIGGERS = {
    "postgresql": [
        """
        CREATE FUNCTION entity_event_seen_marks_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO entity_event_seengap (medium_id, event_id)
            SELECT g.medium_id, g.event_id FROM gone g
            WHERE EXISTS (SELECT 1 FROM entity_event_event e WHERE e.id = g.event_id)
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER entity_event_seen_marks_deleted AFTER DELETE ON entity_event_eventseen
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION entity_event_seen_marks_deleted()
        """,
        """
        CREATE FUNCTION entity_event_seen_gaps_of_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM entity_event_seengap WHERE event_id IN (SELECT id FROM gone);
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER entity_event_seen_gaps_of_events AFTER DELETE ON entity_event_event
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION entity_event_seen_gaps_of_events()
        """,
        """
        CREATE FUNCTION entity_event_seen_gaps_of_mediums() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM entity_event_seengap WHERE medium_id IN (SELECT id FROM gone);
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER entity_event_seen_gaps_of_mediums AFTER DELETE ON entity_event_medium
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION entity_event_seen_gaps_of_mediums()
        """,
    ],
    "sqlite": [
        """
        CREATE TRIGGER entity_event_seen_marks_deleted AFTER DELETE ON entity_event_eventseen BEGIN
            INSERT OR IGNORE INTO entity_event_seengap (medium_id, event_id)
            SELECT OLD.medium_id, OLD.event_id
            WHERE EXISTS (SELECT 1 FROM entity_event_event e WHERE e.id = OLD.event_id);
        END
        """,
        """
        CREATE TRIGGER entity_event_seen_gaps_of_events AFTER DELETE ON entity_event_event BEGIN
            DELETE FROM entity_event_seengap WHERE event_id = OLD.id;
        END
        """,
        """
        CREATE TRIGGER entity_event_seen_gaps_of_mediums AFTER DELETE ON entity_event_medium BEGIN
            DELETE FROM entity_event_seengap WHERE medium_id = OLD.id;
        END
        """,
    ],
}

#: What removes them, per vendor.
DROP = {
    "postgresql": [
        "DROP TRIGGER entity_event_seen_marks_deleted ON entity_event_eventseen",
        "DROP FUNCTION entity_event_seen_marks_deleted()",
        "DROP TRIGGER entity_event_seen_gaps_of_events ON entity_event_event",
        "DROP FUNCTION entity_event_seen_gaps_of_events()",
        "DROP TRIGGER entity_event_seen_gaps_of_mediums ON entity_event_medium",
        "DROP FUNCTION entity_event_seen_gaps_of_mediums()",
    ],
    "sqlite": [
        "DROP TRIGGER entity_event_seen_marks_deleted",
        "DROP TRIGGER entity_event_seen_gaps_of_events",
        "DROP TRIGGER entity_event_seen_gaps_of_mediums",
    ],
}

#: At most this many gaps per medium (entity_event.seen_watermark.MOST_GAPS, copied: a
#: migration keeps the value it was written with).
MOST_GAPS = 1000


def create_triggers(apps, schema_editor):
    for sql in TRIGGERS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def build_watermarks(apps, schema_editor):
    """Each medium with marks gets a watermark at the newest settled event, or before its
    1,001st unmarked event, and its unmarked events below it as gaps (as a marking call would)."""
    Medium = apps.get_model("entity_event", "Medium")
    EventSeen = apps.get_model("entity_event", "EventSeen")
    Event = apps.get_model("entity_event", "Event")
    SeenGap = apps.get_model("entity_event", "SeenGap")
    SeenWatermark = apps.get_model("entity_event", "SeenWatermark")
    database = schema_editor.connection.alias
    settled = newest_settled_id(database)
    for medium_id in (
        Medium.objects.using(database)
        .filter(id__in=EventSeen.objects.using(database).values("medium_id"))
        .values_list("id", flat=True)
    ):
        marked = EventSeen.objects.using(database).filter(medium_id=medium_id, event_id=OuterRef("id"))
        unmarked = Event.objects.using(database).filter(~Exists(marked), id__lte=settled)
        gaps = list(unmarked.order_by("id").values_list("id", flat=True)[: MOST_GAPS + 1])
        seen_through = settled if len(gaps) <= MOST_GAPS else gaps.pop() - 1
        SeenGap.objects.using(database).bulk_create(SeenGap(medium_id=medium_id, event_id=g) for g in gaps)
        SeenWatermark.objects.using(database).create(medium_id=medium_id, seen_through=seen_through)


class Migration(migrations.Migration):
    dependencies = [
        ("entity_event", "0015_verbose_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="SeenWatermark",
            fields=[
                (
                    "medium",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="entity_event.medium",
                    ),
                ),
                ("seen_through", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="SeenGap",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                (
                    "event",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entity_event.event",
                    ),
                ),
                (
                    "medium",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="entity_event.medium",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("medium", "event"), name="entity_event_seen_gap")
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(build_watermarks, migrations.RunPython.noop),
    ]
