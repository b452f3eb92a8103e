"""Events with their sources attached once per call: ``EventQuerySet.with_sources``."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entity_event.models import Event, Source
from entity_event.querysets import attach_sources
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


def events_of(sources: int, per_source: int) -> None:
    """``per_source`` events of each of ``sources`` sources, in two source groups."""
    for n in range(sources):
        source = helpers.source(f"source-{n}", group=f"group-{n % 2}")
        for _ in range(per_source):
            helpers.event(source)


def read_every_group(events) -> list[str]:
    return [event.source.group.name for event in events]


@pytest.mark.parametrize(("sources", "per_source"), [(2, 2), (6, 10)])
def test_a_list_of_events_reads_its_sources_once_whatever_their_number(sources, per_source):
    events_of(sources, per_source)
    with CaptureQueriesContext(connection) as queries:
        events = list(Event.objects.with_sources())
        groups = read_every_group(events)
    assert len(queries) == 2
    assert len(events) == sources * per_source
    assert sorted(set(groups)) == ["group-0", "group-1"][: min(sources, 2)]


def test_the_events_of_a_source_share_one_source_object():
    events_of(2, 3)
    events = list(Event.objects.with_sources().order_by("id"))
    assert len({id(event.source) for event in events}) == 2
    assert len({id(event.source.group) for event in events}) == 2
    assert all(event.source.id == event.source_id for event in events)


def test_streamed_events_read_each_source_once_across_chunks():
    events_of(3, 4)
    with CaptureQueriesContext(connection) as queries:
        events = list(Event.objects.with_sources().order_by("source_id", "id").iterator(chunk_size=2))
        read_every_group(events)
    # The events, then each of the three sources when the chunk that first meets it is read; a
    # chunk whose sources are known reads none.
    assert len(queries) == 1 + 3
    assert len(events) == 12


def test_filtering_and_slicing_keep_the_sources_attached():
    events_of(2, 5)
    page = Event.objects.with_sources().filter(source__name="source-1").order_by("-id")[:3]
    with CaptureQueriesContext(connection) as queries:
        assert read_every_group(page) == ["group-1"] * 3
    assert len(queries) == 2


def test_sources_joined_by_select_related_are_not_read_again():
    events_of(2, 2)
    with CaptureQueriesContext(connection) as queries:
        events = list(Event.objects.with_sources().select_related("source__group"))
        read_every_group(events)
    assert len(queries) == 1


def test_a_join_of_the_source_asked_for_is_kept_as_asked():
    events_of(2, 2)
    with CaptureQueriesContext(connection) as queries:
        events = list(Event.objects.with_sources().select_related("source").order_by("id"))
        assert read_every_group(events) == ["group-0", "group-0", "group-1", "group-1"]
    assert len(queries) == 1 + len(events)  # the source joined to each row, its group read per event


def test_values_are_left_as_values():
    events_of(1, 2)
    assert list(Event.objects.values("source_id").with_sources()) == list(Event.objects.values("source_id"))
    assert all(isinstance(row, dict) for row in Event.objects.with_sources().values("id"))


def test_an_event_whose_source_is_gone_is_left_without_one():
    source = helpers.source()
    kept = helpers.event(source)
    orphan = Event(source_id=Source.objects.order_by("-id").values_list("id", flat=True)[0] + 1)
    attach_sources([kept, orphan], {}, "default")
    assert kept.source == source
    with pytest.raises(Source.DoesNotExist):
        orphan.source  # noqa: B018


def test_bulk_create_stores_events_as_django_does_inside_one_transaction():
    source = helpers.source("news", group="club")

    created = Event.objects.bulk_create(
        [Event(source=source, context={"n": n}, uuid=f"bulk-{n}") for n in range(3)]
    )

    assert [event.context for event in created] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert Event.objects.filter(uuid__startswith="bulk-").count() == 3
