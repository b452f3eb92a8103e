"""The "Why did I get this?" endpoint, driven through the test client."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from entity_event.tests import helpers
from entity_event.tests.web.test_entity import mirror

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    """Alice, signed in on ``client``, and Bob, users of the Acme team. On the newsfeed, Acme's
    users get the photos in which somebody they follow is tagged; by email, Alice gets every photo.

    Alice signs in first: signing in saves her user, which django-entity's syncing (on in the demo
    app) answers by rebuilding her entity's relationships."""
    users = {name: User.objects.create_user(name) for name in ("alice", "bob")}
    client.force_login(users["alice"])
    alice, bob = (mirror(user) for user in users.values())
    acme = helpers.entity("Acme", "team")
    for user_entity in (alice, bob):
        user_entity.super_relationships.create(super_entity=acme)
    photos = helpers.source("photo-tag")
    helpers.subscribe(helpers.medium("newsfeed"), photos, acme, alice.entity_kind.name, only_following=True)
    helpers.subscribe(helpers.medium("email"), photos, alice)
    return {"alice": alice, "bob": bob, "acme": acme, "photos": photos}


def why(client, event_id, medium: str = "newsfeed", method: str = "GET"):
    url = reverse("entity_event:explain_why", kwargs={"medium_name": medium, "event_id": event_id})
    return client.generic(method, url)


def photo(world, *actors):
    return helpers.event(world["photos"], actors=actors)


def test_why_an_event_is_received(client, world):
    tagged = photo(world, world["alice"])
    kind = world["alice"].entity_kind

    response = why(client, tagged.pk)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response.json() == {
        "receives": True,
        "reasons": [
            "You are subscribed to Photo-Tag on Newsfeed as a member of Acme, which subscribes its"
            f" members of kind {kind.display_name}.",
            "This subscription sends only the events of those you follow, and you are an actor of this one.",
        ],
        "subscriptions": [
            {
                "source": {"id": tagged.source_id, "display_name": "Photo-Tag"},
                "only_following": True,
                "group": {"id": world["acme"].pk, "display_name": "Acme"},
                "kind": {"id": kind.pk, "display_name": kind.display_name},
                "follows": {
                    "actor": {"id": world["alice"].pk, "display_name": "alice"},
                    "actor_is": "self",
                },
            }
        ],
    }


def test_an_event_not_received_is_the_same_404_as_an_event_that_does_not_exist(client, world):
    bobs = photo(world, world["bob"])
    missing = bobs.pk + 1000

    not_received, not_there = why(client, bobs.pk), why(client, missing)

    assert (not_received.status_code, not_there.status_code) == (404, 404)
    assert not_received.json() == {"error": f"You have no event {bobs.pk} on Newsfeed."}
    assert not_there.json() == {"error": f"You have no event {missing} on Newsfeed."}
    assert not_received.content.replace(str(bobs.pk).encode(), b"ID") == not_there.content.replace(
        str(missing).encode(), b"ID"
    )
    del not_received.headers["Content-Length"], not_there.headers["Content-Length"]
    assert not_received.headers == not_there.headers


def test_each_medium_explains_its_own_routing(client, world):
    bobs = photo(world, world["bob"])

    assert why(client, bobs.pk, medium="email").json()["reasons"] == [
        "You are subscribed to Photo-Tag on Email."
    ]
    assert why(client, bobs.pk).status_code == 404


@pytest.mark.parametrize("event_id", ["abc", "²", "-1", "1.5", "9" * 30])
def test_an_event_id_that_is_not_a_number_is_a_400_naming_it(client, world, event_id):
    response = why(client, event_id)

    assert response.status_code == 400
    assert response.json() == {
        "error": f"The event id must be a whole number, not {event_id!r}.",
        "parameter": "event",
    }


def test_without_an_entity_it_is_a_403(client, world):
    response = why(Client(), photo(world, world["alice"]).pk)

    assert (response.status_code, response["Cache-Control"]) == (403, "private, no-store")
    assert response.json() == {"error": "Sign in to read your notifications."}


def test_an_unknown_medium_is_a_404_naming_it(client, world):
    response = why(client, photo(world, world["alice"]).pk, medium="pigeon")

    assert response.status_code == 404
    assert response.json() == {"error": "There is no medium named 'pigeon'."}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_only_get_is_allowed(client, world, method):
    response = why(client, photo(world, world["alice"]).pk, method=method)

    assert (response.status_code, response["Allow"]) == (405, "GET")
    assert response.json() == {"error": f"{method} is not allowed here; use GET."}


def test_a_post_without_the_csrf_token_is_a_json_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="alice"))

    response = why(client, photo(world, world["alice"]).pk, method="POST")

    assert (response.status_code, response["Cache-Control"]) == (403, "private, no-store")
    assert response.json()["error"].startswith("CSRF verification failed: CSRF cookie not set.")
