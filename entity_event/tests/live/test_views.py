"""The stream view, driven through Django's async test client: its errors, its first messages,
``Last-Event-ID``, and the counting by polling of databases without LISTEN/NOTIFY."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection

from entity_event.live import views
from entity_event.live.streams import END, message
from entity_event.tests import helpers
from entity_event.tests.live.conftest import next_message, stream_answer, url

pytestmark = pytest.mark.django_db


def get(path: str, user=None, **headers):
    """The answer to a GET of ``path``, by ``user`` if given (its streaming content left unread)."""
    return async_to_sync(stream_answer)(path, user, headers)


@pytest.fixture
def polling(monkeypatch):
    """Streams that count by polling, as on SQLite, every hundredth of a second."""
    monkeypatch.setattr(views, "_listens", lambda: False)
    monkeypatch.setattr(views, "POLL_SECONDS", 0.01)


def test_under_wsgi_the_stream_is_refused_for_polling_instead(client, world):
    client.force_login(world["users"]["alice"])

    response = client.get(url())

    assert response.status_code == 501
    assert response.json() == {"error": "Live streams need an ASGI server; poll unseen-count/."}
    assert response["Cache-Control"] == "private, no-store"


def test_without_an_entity_the_stream_is_refused_in_json(world):
    response = get(url())

    assert response.status_code == 403
    assert response.json() == {"error": "Sign in to read your notifications."}
    assert response["Cache-Control"] == "private, no-store"


def test_an_unknown_medium_is_a_404_naming_it(world):
    response = get(url("nope"), world["users"]["alice"])

    assert (response.status_code, response.json()) == (404, {"error": "There is no medium named 'nope'."})


def test_a_bad_limit_is_a_400_naming_it(world):
    response = get(url() + "?limit=0", world["users"]["alice"])

    assert response.status_code == 400
    assert response.json()["parameter"] == "limit"


def test_a_bad_last_event_id_is_a_400_naming_it(world):
    response = get(url(), world["users"]["alice"], **{"Last-Event-ID": "x1"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "Last-Event-ID is not an id this stream gave: 'x1'.",
        "parameter": "Last-Event-ID",
    }


def test_a_stream_opens_with_retry_and_the_count(world, polling):
    helpers.event(world["source"])
    newest = helpers.event(world["source"])

    async def main():
        response = await stream_answer(url() + "?limit=1", world["users"]["alice"])
        messages = aiter(response.streaming_content)
        first = [await next_message(messages), await next_message(messages)]
        return response, first

    response, first = async_to_sync(main)()

    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "private, no-store"
    assert first == ["retry: 3000\n\n", message("unseen-count", {"count": 1, "more": True}, newest.pk)]


def test_last_event_id_resumes_with_the_events_received_since(world, polling):
    seen = helpers.event(world["source"])
    missed = [helpers.event(world["source"]) for _ in range(2)]

    async def main():
        response = await stream_answer(url(), world["users"]["bob"], {"Last-Event-ID": str(seen.pk)})
        messages = aiter(response.streaming_content)
        return [await next_message(messages) for _ in range(3)][1:]

    assert async_to_sync(main)() == [
        message("new", {"ids": [event.pk for event in missed], "more": False}, missed[-1].pk),
        message("unseen-count", {"count": 3, "more": False}, missed[-1].pk),
    ]


def test_polling_sends_a_change_made_after_the_stream_opened(world, polling):
    alice = world["entities"]["alice"]

    async def main():
        response = await stream_answer(url(), world["users"]["alice"])
        messages = aiter(response.streaming_content)
        first = [await next_message(messages) for _ in range(2)][1:]
        event = await _create(world)
        then = [await next_message(messages) for _ in range(2)]
        await _mark_all_seen(world["newsfeed"], alice)
        return first, event, then, [await next_message(messages)]

    first, event, then, after_marking = async_to_sync(main)()

    assert first == [message("unseen-count", {"count": 0, "more": False}, 0)]
    assert then == [
        message("new", {"ids": [event.pk], "more": False}, event.pk),
        message("unseen-count", {"count": 1, "more": False}, event.pk),
    ]
    assert after_marking == [message("unseen-count", {"count": 0, "more": False}, event.pk)]


def test_a_silent_stream_sends_a_heartbeat(world, polling, monkeypatch):
    monkeypatch.setattr(views, "HEARTBEAT_SECONDS", 0.01)
    monkeypatch.setattr(views, "POLL_SECONDS", 60)

    async def main():
        response = await stream_answer(url(), world["users"]["alice"])
        messages = aiter(response.streaming_content)
        return [await next_message(messages) for _ in range(4)][1:]

    received = async_to_sync(main)()  # the count (polled in a thread) and heartbeats, in any order
    assert sorted(received) == [": heartbeat\n\n"] * 2 + [
        message("unseen-count", {"count": 0, "more": False}, 0)
    ]


def test_a_stream_the_server_closes_ends(world, monkeypatch):
    async def closed_at_once(live):
        live.push(END)

    monkeypatch.setattr(views, "_listens", lambda: False)
    monkeypatch.setattr(views, "_poll", closed_at_once)

    async def main():
        response = await stream_answer(url(), world["users"]["alice"])
        return [chunk.decode() async for chunk in response.streaming_content]

    assert async_to_sync(main)() == ["retry: 3000\n\n"]


def test_streams_listen_on_postgresql_and_poll_elsewhere():
    assert views._listens() == (connection.vendor == "postgresql")


async def _create(world):
    return await sync_to_async(helpers.event)(world["source"])


async def _mark_all_seen(medium, entity):
    return await sync_to_async(lambda: medium.inbox(entity).mark_seen())()


@pytest.mark.django_db(transaction=True)
@helpers.needs_postgresql  # Django never closes the in-memory database of SQLite's tests
def test_an_open_stream_holds_no_database_connection(world, monkeypatch):
    async def quiet(live):
        live.push(": nothing polled\n\n")

    monkeypatch.setattr(views, "_listens", lambda: False)
    monkeypatch.setattr(views, "_poll", quiet)

    async def main():
        response = await stream_answer(url(), world["users"]["alice"])
        messages = aiter(response.streaming_content)
        assert [await next_message(messages) for _ in range(2)][1] == ": nothing polled\n\n"
        return await sync_to_async(lambda: connection.connection)()

    assert async_to_sync(main)() is None  # the thread that opened the stream closed its connection
