"""``mark_seen`` and ``claim_seen`` of any queryset of events mark exactly the events it yields:
orderings on related fields, ``distinct()``, slices with an offset, ``values()`` and
``values_list()``."""

import pytest

from entity_event import creation
from entity_event.models import Event, EventSeen
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db

QUERYSETS = {
    "distinct first of an ordering": lambda: Event.objects.order_by("source__name", "-id").distinct()[:1],
    "distinct page with an offset": lambda: Event.objects.order_by("source__name", "-id").distinct()[2:5],
    "related ordering two levels away": lambda: Event.objects.order_by("-source__group__name", "id")[1:4],
    "distinct ordering on a many-valued relation": lambda: Event.objects.order_by(
        "eventactor__entity__display_name", "id"
    ).distinct()[1:4],
    "distinct filter through actors": lambda: (
        Event.objects.filter(eventactor__entity__display_name="ann").order_by("source__name", "id").distinct()
    ),
    "offset without a limit": lambda: Event.objects.order_by("source__name", "id").distinct()[3:],
    "values with a related field": lambda: (
        Event.objects.values("id", "source__name").order_by("source__name", "-id").distinct()[1:3]
    ),
    "values_list of ids": lambda: (
        Event.objects.values_list("id", flat=True).order_by("-source__group__name", "-id").distinct()[:2]
    ),
}


@pytest.fixture
def events():
    """Six events of two sources in two groups, some with two actors."""
    ann, bob = helpers.entity("ann"), helpers.entity("bob")
    photos, logins = helpers.source("photo-tag", group="site"), helpers.source("login", group="accounts")
    for source, actors in [(photos, [ann, bob]), (logins, [bob]), (photos, []), (logins, [ann, bob])] * 2:
        helpers.event(source, actors)


def yielded_ids(queryset) -> set[int]:
    """The ids of the events ``queryset`` yields, as events, dicts of ``values()`` or ids."""
    return {row["id"] if isinstance(row, dict) else getattr(row, "id", row) for row in queryset}


@pytest.mark.parametrize("make_queryset", QUERYSETS.values(), ids=QUERYSETS.keys())
def test_mark_seen_marks_exactly_the_events_the_queryset_yields(events, make_queryset):
    newsfeed = helpers.medium()
    expected = yielded_ids(make_queryset())

    assert Event.objects.filter(id__in=expected).count() < Event.objects.count()
    assert creation.mark_seen(make_queryset(), newsfeed) == len(expected)
    assert set(EventSeen.objects.values_list("event_id", flat=True)) == expected


@pytest.mark.parametrize("make_queryset", QUERYSETS.values(), ids=QUERYSETS.keys())
def test_claim_seen_returns_exactly_the_events_the_queryset_yields(events, make_queryset):
    expected = yielded_ids(make_queryset())

    assert set(creation.claim_seen(make_queryset(), helpers.medium())) == expected


def test_the_queryset_method_marks_a_distinct_page_of_a_related_ordering(events):
    page = Event.objects.order_by("source__name", "-id").distinct()[:1]

    assert page.mark_seen(helpers.medium()) == 1
    assert list(EventSeen.objects.values_list("event_id", flat=True)) == [event.id for event in page]
