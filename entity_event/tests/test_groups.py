"""Grouped notifications: Inbox.groups(), Medium.entity_event_groups() and Medium.render_groups()."""

from datetime import timedelta

import pytest
from django.utils import timezone

from entity_event.exceptions import NoRendererError
from entity_event.groups import DEFAULT_WINDOW, EVENTS_PER_GROUP, EventGroup, actor_names, group_event_ids
from entity_event.models import EventSeen
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db

START = timezone.now() - timedelta(days=30)


@pytest.fixture
def world():
    """Alice receives every comment and like on the newsfeed; comments group by photo."""
    alice = helpers.entity("alice")
    newsfeed = helpers.medium("newsfeed")
    comment = helpers.source("comment")
    comment.group_by = "photo"
    comment.save()
    like = helpers.source("like")
    for source in (comment, like):
        helpers.subscribe(newsfeed, source, alice)
    style = helpers.style("short")
    newsfeed.rendering_style = style
    newsfeed.save()
    helpers.renderer(
        "comments",
        style,
        source=comment,
        text_template="{{ who }} commented on {{ photo }}",
        html_template="<b>{{ who }}</b> commented on {{ photo }}",
    )
    helpers.renderer("likes", style, source=like, text_template="{{ who }} liked {{ photo }}")
    return {"alice": alice, "newsfeed": newsfeed, "comment": comment, "like": like}


def post(source, minutes: float, photo=None, actors=(), who="someone"):
    """An event of ``source``, ``minutes`` after START, about ``photo`` (no key when ``None``)."""
    context = {"who": who} if photo is None else {"who": who, "photo": photo}
    return helpers.event(source, actors=actors, time=START + timedelta(minutes=minutes), context=context)


def summary(groups) -> list[tuple[str, object, int]]:
    return [(group.source.name, group.key, group.count) for group in groups]


def test_events_with_equal_values_of_the_key_form_one_group_within_the_window(world):
    first = post(world["comment"], 0, photo=1)
    post(world["comment"], 60, photo=2)
    newest = post(world["comment"], 23 * 60, photo=1)
    post(world["comment"], 24 * 60, photo=1)  # a day after the group's first event: a new group
    post(world["like"], 24 * 60 + 1, photo=1)  # likes do not group
    post(world["like"], 24 * 60 + 2, photo=1)

    groups = world["newsfeed"].inbox(world["alice"]).groups()

    assert summary(groups) == [
        ("like", None, 1),
        ("like", None, 1),
        ("comment", 1, 1),
        ("comment", 1, 2),
        ("comment", 2, 1),
    ]
    group = groups[3]
    assert [event.pk for event in group.events] == [newest.pk, first.pk]
    assert group.newest == newest and group.time == newest.time
    assert group.id == f"{first.pk}-{int(DEFAULT_WINDOW.total_seconds())}"
    assert group.is_seen is False and group.events[0].is_seen is False
    assert len(groups) == groups.count() == 5


def test_the_window_is_sequential_a_groups_first_event_anchors_it(world):
    for minutes in (0, 50, 100, 140):
        post(world["comment"], minutes, photo="sunset")

    groups = world["newsfeed"].inbox(world["alice"]).groups(window=timedelta(hours=1))

    # 0 and 50 (within an hour of 0); 100 starts a group; 140 joins it (within an hour of 100).
    assert [group.count for group in groups] == [2, 2]


def test_events_without_the_key_are_groups_of_one(world):
    post(world["comment"], 0)
    post(world["comment"], 1)

    assert summary(world["newsfeed"].inbox(world["alice"]).groups()) == [("comment", None, 1)] * 2


def test_keys_of_any_json_value_group_by_their_text(world):
    for minutes, photo in enumerate([{"id": 1}, "1", 1, {"id": 1}, [1, 2], [1, 2], None]):
        post(world["comment"], minutes, photo=photo)

    groups = world["newsfeed"].inbox(world["alice"]).groups()

    # "1" and 1 read the same as text; a null value is no key.
    assert [(group.key, group.count) for group in groups] == [(None, 1), ([1, 2], 2), ({"id": 1}, 2), (1, 2)]


def test_a_group_carries_its_newest_events_and_most_recent_distinct_actors(world):
    people = [helpers.entity(f"person{n}") for n in range(EVENTS_PER_GROUP + 2)]
    for minutes, person in enumerate(people):
        post(world["comment"], minutes, photo=1, actors=[person])
    post(world["comment"], 100, photo=1, actors=[people[0]])  # person0 again, most recently

    group = world["newsfeed"].inbox(world["alice"]).groups()[0]

    assert group.count == EVENTS_PER_GROUP + 3
    assert len(group.events) == EVENTS_PER_GROUP
    assert group.actor_count == EVENTS_PER_GROUP + 2
    assert [actor.display_name for actor in group.actors] == [
        "person0",
        *[f"person{n}" for n in range(EVENTS_PER_GROUP + 1, 2, -1)],
    ]


@pytest.mark.parametrize("size", [3, 300])
def test_a_page_of_groups_costs_the_same_queries_whatever_their_sizes(world, size, django_assert_num_queries):
    actors = [helpers.entity(f"fan{n}") for n in range(size)]
    for photo in range(3):
        for n in range(size):
            post(world["comment"], photo * 100 + n / size, photo=photo, actors=[actors[n]])
    inbox = world["newsfeed"].inbox(world["alice"])

    # The settled id, the grouping sources, the scan; the newest events and their sources, the
    # actors' ranks (an SQL aggregate), the actors.
    with django_assert_num_queries(7):
        groups = inbox.groups()[:20]
    # The renderers (the sources are loaded with the events already).
    with django_assert_num_queries(1):
        rendered = world["newsfeed"].render_groups(groups)

    assert [(group.count, group.actor_count, len(group.actors)) for group in groups] == [
        (size, size, min(size, EVENTS_PER_GROUP))
    ] * 3
    text, _html = rendered[groups[0]]
    assert text.startswith(f"fan{size - 1}, fan{size - 2} and {size - 2} other")
    assert text.endswith(": someone commented on 2")


def test_keyset_pages_never_split_repeat_or_lose_a_group_while_events_arrive(world):
    for photo in range(5):
        for n in range(3):
            post(world["comment"], photo * 10 + n, photo=photo)
    inbox = world["newsfeed"].inbox(world["alice"])
    groups = inbox.groups()
    first_page = groups[:2]

    post(world["comment"], 1000, photo=1)  # joins a group of a later page
    post(world["comment"], 1001, photo=9)  # a new group

    later = groups.older_than(first_page[-1])
    second_page = later[:2]
    third_page = later.older_than(second_page[-1])[:2]
    keys = [group.key for group in first_page + second_page + third_page]
    assert keys == [4, 3, 2, 1, 0]
    assert all(group.count == 3 for group in first_page + second_page + third_page)
    fresh = inbox.groups()
    assert [(group.key, group.count) for group in fresh[:2]] == [(9, 1), (1, 4)]
    assert fresh.older_than((first_page[-1].time, first_page[-1].newest.pk))[0].key == 2


def test_marking_a_group_marks_all_its_events_and_counts_unseen_groups(world):
    for n in range(3):
        post(world["comment"], n, photo=1)
    post(world["comment"], 5, photo=2)
    inbox = world["newsfeed"].inbox(world["alice"])
    assert inbox.unseen_count(grouped=True) == 2
    assert inbox.unseen_count() == 4
    newest, older = inbox.groups()

    assert inbox.mark_seen(older) == 3
    assert [group.is_seen for group in inbox.groups()] == [False, True]
    assert [group.key for group in inbox.groups(seen=False)] == [2]
    assert [group.key for group in inbox.groups(seen=True)] == [1]
    assert inbox.unseen_count(grouped=True) == 1
    assert inbox.unseen_count(grouped=True, limit=1) == 1
    assert inbox.mark_seen([newest]) == 1
    assert inbox.unseen_count(grouped=True) == 0
    assert inbox.mark_unseen(older) == 3
    assert inbox.unseen_count(grouped=True) == 1
    assert inbox.mark_seen(up_to=newest.newest.pk) == 3


def test_group_ids_name_the_groups_events(world):
    first = post(world["comment"], 0, photo=1)
    second = post(world["comment"], 1, photo=1)
    inbox = world["newsfeed"].inbox(world["alice"])
    group = inbox.groups()[0]

    assert sorted(group_event_ids(inbox, [group.id, "999999-60"])) == [first.pk, second.pk]
    # A minute later is outside a window of a minute: the second event is a group of its own then.
    assert sorted(group_event_ids(inbox, [f"{second.pk}-60", f"{first.pk}-60"])) == [first.pk, second.pk]
    for bad in ["1", "x-60", "1-0", "1-99999999999", "-60", "1-"]:
        with pytest.raises(ValueError, match="is not a group id"):
            group_event_ids(inbox, [bad])


def test_bad_arguments_are_refused_naming_them(world):
    inbox = world["newsfeed"].inbox(world["alice"])
    with pytest.raises(TypeError, match="window must be a timedelta, not 3600"):
        inbox.groups(window=3600)
    with pytest.raises(ValueError, match="window must be positive"):
        inbox.groups(window=timedelta(0))
    with pytest.raises(TypeError, match="seen must be True, False or None, not 'no'"):
        inbox.groups(seen="no")
    with pytest.raises(TypeError, match="grouped must be True or False, not 1"):
        inbox.unseen_count(grouped=1)


def test_medium_groups_use_the_per_medium_seen_marks_and_3x_filters(world):
    bob = helpers.entity("bob")
    old = post(world["comment"], 0, photo=1, actors=[bob])
    post(world["comment"], 1, photo=1)
    post(world["like"], 2, photo=1)
    EventSeen.objects.create(event=old, medium=world["newsfeed"])
    newsfeed = world["newsfeed"]

    groups = newsfeed.entity_event_groups(world["alice"])
    assert [(group.source.name, group.count, group.is_seen) for group in groups] == [
        ("like", 1, False),
        ("comment", 2, False),
    ]
    assert summary(newsfeed.entity_event_groups(world["alice"], actor=bob)) == [("comment", 1, 1)]
    assert [group.is_seen for group in newsfeed.entity_event_groups(world["alice"], seen=True)] == [True]
    with pytest.raises(ValueError, match="window must be positive"):
        newsfeed.entity_event_groups(world["alice"], window=timedelta(seconds=-1))


def test_a_page_past_the_last_group_is_empty(world):
    assert world["newsfeed"].inbox(world["alice"]).groups()[:20] == []


def test_built_in_rendering_names_the_actors_before_the_newest_events_rendering(world):
    people = [helpers.entity(name) for name in ("Ann", "Ben", "Cy", "Di")]
    for minutes, person in enumerate(people):
        post(world["comment"], minutes, photo="p", actors=[person], who=person.display_name)
    post(world["comment"], 10, photo="q", actors=[people[0]], who="Ann & co")
    newsfeed = world["newsfeed"]
    lonely, crowd = newsfeed.inbox(world["alice"]).groups()

    rendered = newsfeed.render_groups([lonely, crowd])

    assert rendered[lonely] == ("Ann & co commented on q", "<b>Ann &amp; co</b> commented on q")
    assert rendered[crowd] == (
        "Di, Cy and 2 others: Di commented on p",
        "Di, Cy and 2 others: <b>Di</b> commented on p",
    )


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Ann"], "Ann"),
        (["Ann", "Ben"], "Ann and Ben"),
        (["Ann", "Ben", "Cy"], "Ann, Ben and 1 other"),
        (["Ann", "Ben", "Cy", "Di"], "Ann, Ben and 2 others"),
    ],
)
def test_actor_names(names, expected):
    actors = [helpers.entity(name) for name in names]
    group = EventGroup("1-1", None, None, 2, None, [], actors, len(actors), False, [])
    assert actor_names(group) == expected


def test_group_templates_render_with_the_group_and_the_newest_events_context(world):
    renderer = world["comment"].contextrenderer_set.get()
    renderer.group_text_template = "{{ group.count }} comments on {{ photo }} by {{ group.actor_count }}"
    renderer.group_html_template = "<i>{{ group.count }}</i> on {{ photo }} {{ who }}"
    renderer.save()
    bob = helpers.entity("bob")
    post(world["comment"], 0, photo="x<y", actors=[bob])
    post(world["comment"], 1, photo="x<y", actors=[bob], who="Bob")
    group = world["newsfeed"].inbox(world["alice"]).groups()[0]

    assert world["newsfeed"].render_groups([group])[group] == (
        "2 comments on x<y by 1",
        "<i>2</i> on x&lt;y Bob",
    )


def test_events_deleted_after_the_scan_leave_their_group_out(world):
    doomed = post(world["like"], 0)
    post(world["like"], 1)
    groups = world["newsfeed"].inbox(world["alice"]).groups()
    assert len(groups) == 2
    doomed.delete()

    assert [group.count for group in groups] == [1]
    assert isinstance(groups[0], EventGroup)


def test_a_group_without_actors_renders_as_its_newest_event(world):
    post(world["comment"], 0, photo=1)
    post(world["comment"], 1, photo=1, who="Eve")
    group = world["newsfeed"].inbox(world["alice"]).groups()[0]

    assert world["newsfeed"].render_groups([group])[group] == (
        "Eve commented on 1",
        "<b>Eve</b> commented on 1",
    )


def test_a_group_of_a_source_without_a_renderer_is_refused_naming_it(world):
    world["like"].contextrenderer_set.all().delete()
    post(world["like"], 0)
    groups = world["newsfeed"].inbox(world["alice"]).groups()

    with pytest.raises(NoRendererError, match="source 'like'"):
        world["newsfeed"].render_groups(groups)
