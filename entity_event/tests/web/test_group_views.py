"""The inbox's groups as JSON: <prefix>/<medium>/groups/, and marking groups seen."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from entity_event.models import InboxMark, InboxWatermark
from entity_event.tests import helpers
from entity_event.tests.web.test_entity import mirror

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Alice, who receives the comments on photos (grouped by photo) on the newsfeed."""
    alice = User.objects.create_user("alice")
    short = helpers.style("short")
    newsfeed = helpers.medium("newsfeed", rendering_style=short)
    comment = helpers.source("comment")
    comment.group_by = "photo"
    comment.save()
    helpers.subscribe(newsfeed, comment, mirror(alice))
    helpers.renderer(
        "comments",
        short,
        source=comment,
        text_template="comment on {{ photo }}",
        html_template="<i>comment</i> on {{ photo }}",
    )
    return {"user": alice, "entity": mirror(alice), "newsfeed": newsfeed, "comment": comment}


def comments(world, photos: int, per_photo: int) -> None:
    """``per_photo`` comments by as many people on each of ``photos`` photos, photo 0 first."""
    start = timezone.now() - timedelta(hours=1)
    people = [helpers.entity(f"fan{n}") for n in range(per_photo)]
    for photo in range(photos):
        for n, person in enumerate(people):
            time = start + timedelta(minutes=photo, seconds=n)
            helpers.event(world["comment"], actors=[person], time=time, context={"photo": photo})


def url(name: str = "groups") -> str:
    return reverse(f"entity_event:inbox_{name}", kwargs={"medium_name": "newsfeed"})


def test_a_page_of_groups_rendered_newest_first(client, world):
    comments(world, 2, 3)
    client.force_login(world["user"])

    answer = client.get(url()).json()

    newest = world["newsfeed"].inbox(world["entity"]).groups()[0]
    assert answer["next"] is None
    assert answer["groups"][0] == {
        "id": newest.id,
        "count": 3,
        "actor_count": 3,
        "actors": ["fan2", "fan1", "fan0"],
        "text": "fan2, fan1 and 1 other: comment on 1",
        "html": "fan2, fan1 and 1 other: <i>comment</i> on 1",
        "is_seen": False,
        "time": newest.time.isoformat(),
        "event_ids": [event.pk for event in newest.events],
        "source": {"name": "comment", "display_name": "Comment"},
    }
    assert [group["text"][-1] for group in answer["groups"]] == ["1", "0"]


@pytest.mark.parametrize(
    ("language", "fans", "text"),
    [
        ("fr", 3, "fan2, fan1 et 1 autre : comment on 0"),
        ("fr", 4, "fan3, fan2 et 2 autres : comment on 0"),
        ("de", 3, "fan2, fan1 und 1 weiterer: comment on 0"),
        ("de", 4, "fan3, fan2 und 2 weitere: comment on 0"),
        ("en", 2, "fan1 and fan0: comment on 0"),
    ],
)
def test_a_group_names_its_actors_in_the_plural_forms_of_the_language_asked_for(
    client, world, language, fans, text
):
    comments(world, 1, fans)
    client.force_login(world["user"])

    [group] = client.get(url(), HTTP_ACCEPT_LANGUAGE=language).json()["groups"]

    assert group["text"] == text


def test_pages_follow_the_cursor_while_events_arrive(client, world):
    comments(world, 5, 2)
    client.force_login(world["user"])
    first = client.get(url(), {"limit": 2}).json()
    helpers.event(world["comment"], context={"photo": 1})  # joins a group of a later page

    second = client.get(url(), {"limit": 2, "before": first["next"]}).json()
    third = client.get(url(), {"limit": 2, "before": second["next"]}).json()

    pages = [first, second, third]
    assert [group["text"][-1] for page in pages for group in page["groups"]] == list("43210")
    assert [group["count"] for page in pages for group in page["groups"]] == [2] * 5
    assert third["next"] is None


def test_the_seen_parameter_keeps_seen_or_unseen_groups(client, world):
    comments(world, 2, 2)
    inbox = world["newsfeed"].inbox(world["entity"])
    inbox.mark_seen(inbox.groups()[1])
    client.force_login(world["user"])

    unseen = client.get(url(), {"seen": "false"}).json()["groups"]
    seen = client.get(url(), {"seen": "true"}).json()["groups"]

    assert [(group["text"][-1], group["is_seen"]) for group in unseen + seen] == [("1", False), ("0", True)]


def test_marking_groups_seen_marks_all_their_events(client, world):
    comments(world, 2, 3)
    client.force_login(world["user"])
    groups = client.get(url()).json()["groups"]

    response = client.post(
        url("mark_seen"), json.dumps({"groups": [groups[1]["id"], "1-1"]}), content_type="application/json"
    )

    assert response.json() == {"marked": 3}
    assert [group["is_seen"] for group in client.get(url()).json()["groups"]] == [False, True]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 100"),
        ({"seen": "yes"}, "seen must be true or false"),
        ({"before": "%%%"}, "before is not a cursor"),
        ({"before": "abc.x"}, "before is not a cursor"),
        ({"before": "abc.3"}, "before is not a cursor"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, world, params, message):
    client.force_login(world["user"])

    response = client.get(url(), params)

    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("1-60", '"groups" must be a list of group ids, not "1-60".'),
        ([1], '"groups" must be a list of group ids, not [1].'),
        (["1"], "\"groups\" must be a list of group ids: '1' is not a group id."),
        (["1-0"], "\"groups\" must be a list of group ids: '1-0' is not a group id"),
    ],
)
def test_bad_group_ids_are_a_400_with_nothing_written(client, world, groups, message):
    comments(world, 1, 2)
    client.force_login(world["user"])

    response = client.post(url("mark_seen"), json.dumps({"groups": groups}), content_type="application/json")

    assert (response.status_code, response.json()["parameter"]) == (400, "groups")
    assert response.json()["error"].startswith(message)
    assert InboxWatermark.objects.count() == InboxMark.objects.count() == 0


def test_without_an_entity_the_groups_are_refused(client, world):
    response = client.get(url())

    assert (response.status_code, response["Cache-Control"]) == (403, "private, no-store")


def test_a_page_costs_the_same_queries_whatever_the_groups_sizes(client, world):
    client.force_login(world["user"])
    costs = []
    for size in (3, 30):
        comments(world, 3, size)
        client.get(url())  # the session and the entity are cached from here on
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(url(), {"limit": 2}).json()
        assert [group["count"] for group in answer["groups"]] == [len(costs) * 3 + size] * 2
        costs.append(len(captured))

    assert costs[0] == costs[1]
