"""Comments and likes on the same photo show as one entry of the feed and the notification bar."""

import pytest
from django.test import Client
from django.urls import reverse

from demo import feed
from demo.tests import events
from demo.tests.test_views import feed_texts, signed_in
from entity_event.models import ContextRenderer, Event

LUNCH = "Carol Nguyen’s photo “Team lunch”"

pytestmark = pytest.mark.entity_sync


@pytest.fixture
def reactions(company):
    """Three colleagues comment on Carol's photo and two like it; one comment on another photo."""
    users = company["users"]
    carol = users["carol"]
    for kind, author, minutes_ago in [
        ("comment", "alice", 50),
        ("like", "erin", 45),
        ("comment", "bob", 40),
        ("like", "frank", 35),
        ("comment", "dave", 30),
    ]:
        events.reaction(company, kind, users[author], carol, "Team lunch", "Nice!", minutes_ago=minutes_ago)
    events.reaction(
        company, "comment", users["grace"], users["frank"], "Ski trip", "Fresh snow!", minutes_ago=90
    )
    return company


def test_the_comments_and_the_likes_of_a_photo_are_one_entry_each(client, reactions):
    response = signed_in(client, reactions["users"]["heidi"]).get(reverse("demo:feed"))

    assert feed_texts(response) == [
        f"Dave Okafor and 2 others commented on {LUNCH}",
        f"Frank Dubois and 1 other liked {LUNCH}",
        "Grace Hopper commented on Frank Dubois’s photo “Ski trip”: Fresh snow!",
    ]
    assert [item.group.count for item in response.context["items"]] == [3, 2, 1]


def test_one_person_commenting_twice_is_counted_in_comments(client, company):
    alice, carol = company["users"]["alice"], company["users"]["carol"]
    events.reaction(company, "comment", alice, carol, "Team lunch", "Wow", minutes_ago=5)
    events.reaction(company, "comment", alice, carol, "Team lunch", "Again!")
    events.reaction(company, "like", alice, carol, "Team lunch")

    response = signed_in(client, company["users"]["bob"]).get(reverse("demo:feed"))

    assert feed_texts(response) == [
        f"Alice Martin liked {LUNCH}",
        f"Alice Martin commented on {LUNCH} (2 comments)",
    ]


def test_marking_a_group_seen_marks_all_its_events_for_the_reader_alone(client, reactions):
    heidi = reactions["users"]["heidi"]
    client = signed_in(client, heidi)
    comments = client.get(reverse("demo:feed")).context["items"][0].group
    page = client.get(reverse("demo:feed")).content.decode()
    assert f'action="{reverse("demo:mark_group_seen", args=[comments.id])}"' in page

    response = client.post(reverse("demo:mark_group_seen", args=[comments.id]), {"page": "1"})

    assert response["Location"] == f"{reverse('demo:feed')}?page=1"
    assert [item.seen for item in client.get(reverse("demo:feed")).context["items"]] == [True, False, False]
    assert feed.unseen_count(heidi) == Event.objects.count() - 3
    assert feed.unseen_count(reactions["users"]["ivan"]) == Event.objects.count()
    response = client.post(reverse("demo:mark_group_seen", args=[comments.id]), {"page": "x"})
    assert response["Location"] == reverse("demo:feed")


def test_a_group_id_of_another_feed_marks_nothing_and_a_bad_one_is_refused_by_name(client, reactions):
    client = signed_in(client, reactions["users"]["heidi"])

    assert client.post(reverse("demo:mark_group_seen", args=["1-60"])).status_code == 302
    refused = client.post(reverse("demo:mark_group_seen", args=["lunch"]))

    assert refused.status_code == 400
    assert "'lunch' is not a group id" in refused.content.decode()
    assert feed.unseen_count(reactions["users"]["heidi"]) == Event.objects.count()


def test_the_notification_bar_shows_the_newest_group_until_dismissed(client, reactions):
    page = signed_in(client, reactions["users"]["heidi"]).get(reverse("demo:feed")).content.decode()

    assert f"<span>Dave Okafor and 2 others commented on {LUNCH}</span>" in page
    client.post(reverse("demo:dismiss_notifications"))
    assert 'id="notification-bar"' not in client.get(reverse("demo:feed")).content.decode()


def test_a_grouping_source_without_a_renderer_gets_a_plain_line_instead_of_breaking_the_feed(
    client, reactions
):
    ContextRenderer.objects.filter(source=reactions["sources"]["photo-comment"]).delete()

    texts = feed_texts(signed_in(client, reactions["users"]["heidi"]).get(reverse("demo:feed")))

    assert texts == [
        "Photo comments: an event with no renderer for the Newsfeed medium.",
        "Frank Dubois liked Carol Nguyen’s photo “Team lunch”",
        "Photo comments: an event with no renderer for the Newsfeed medium.",
    ]


def test_a_reader_without_an_entity_has_no_group_to_mark(company):
    from django.contrib.auth.models import User

    assert feed.feed_groups(User(username="ghost")) == []
    assert feed.mark_group_seen(User(username="ghost"), "1-60") == 0


def test_the_post_form_offers_no_reaction_source(client, company):
    page = signed_in(client, company["users"]["alice"]).get(reverse("demo:post_event")).content.decode()

    assert "Photo tags" in page
    assert "Photo comments" not in page and "Photo likes" not in page


def test_frank_reads_the_groups_in_french(reactions):
    client = signed_in(Client(), reactions["users"]["frank"])

    texts = feed_texts(client.get(reverse("demo:feed")))

    assert texts[0] == "Dave Okafor et 2 autres ont commenté la photo « Team lunch » de Carol Nguyen"
