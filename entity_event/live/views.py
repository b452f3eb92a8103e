"""The stream view: ``<prefix>/<medium>/stream/``, Server-Sent Events of the request's entity's
inbox on a medium (see docs/live.rst).

It answers only under ASGI (501 under WSGI, so that a page falls back to polling). It resolves
the entity and the medium as the inbox's JSON endpoints do, with their errors
(403 without an entity, 404 for an unknown medium, 400 naming a bad ``limit`` or
``Last-Event-ID``), then answers ``text/event-stream``: ``retry:``, the unseen count at once,
the events received since ``Last-Event-ID``, then each change, with a heartbeat comment when
nothing was sent for ``HEARTBEAT_SECONDS``.
"""

import asyncio
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connections, router
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from entity_event.creation_lock import newest_settled_id
from entity_event.live import listener
from entity_event.live.counts import refresh
from entity_event.live.streams import END, RETRY_MILLISECONDS, Stream
from entity_event.models import Event
from entity_event.numbers import parse_number
from entity_event.web.answers import CACHE_CONTROL, BadParameter, answer, parse_limit

#: Seconds of silence after which a stream sends a comment, so that proxies keep it open.
HEARTBEAT_SECONDS = 15.0

#: Seconds between two counts of a stream on a database without LISTEN/NOTIFY (SQLite).
POLL_SECONDS = 3.0

#: The streams of this process on PostgreSQL, sharing one listening connection.
hub = listener.Hub()


async def stream(request: HttpRequest, medium_name: str) -> HttpResponse:
    """``text/event-stream`` of the request's entity's unseen count and new events on the medium."""
    if isinstance(request, ASGIRequest):
        opened = await sync_to_async(_opened)(request, medium_name)
    else:
        # A WSGI server would hold a worker for as long as the stream is open, buffering it all.
        needs_asgi = _("Live streams need an ASGI server; poll unseen-count/.")
        opened = JsonResponse({"error": needs_asgi}, status=501)
    if isinstance(opened, HttpResponse):
        opened["Cache-Control"] = CACHE_CONTROL
        return opened
    inbox, limit, after = opened
    live = Stream(inbox.medium, inbox.entity, limit, after)
    response = StreamingHttpResponse(_messages(live), content_type="text/event-stream")
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Accel-Buffering"] = "no"  # nginx would otherwise hold the messages back
    return response


def _opened(request: HttpRequest, medium_name: str):
    """The error answer, or what the stream needs; then the database connection of this thread is
    closed: Django closes it only when the response ends, and a stream's never does, so each open
    stream would otherwise hold a connection. (Not inside a transaction: a test's.)"""
    try:
        return answer(_open, "GET", request, medium_name)
    finally:
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()


def _open(request: HttpRequest, inbox) -> tuple:
    """The inbox, the ``limit`` of its count and the event id to announce events above."""
    limit = parse_limit(request.GET.get("limit"))
    last = request.headers.get("Last-Event-ID")
    settled = newest_settled_id(router.db_for_read(Event))
    if last is None:
        return inbox, limit, settled
    try:
        return inbox, limit, min(parse_number(last), settled)
    except ValueError:
        raise BadParameter(
            "Last-Event-ID", _("Last-Event-ID is not an id this stream gave: %(last)r.") % {"last": last}
        ) from None


def _listens() -> bool:
    return connections[router.db_for_read(Event)].vendor == "postgresql"


async def _messages(live: Stream) -> AsyncIterator[str]:
    """The stream's messages until the client goes away (the task is cancelled) or the server
    closes it."""
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    feeder = None
    if _listens():
        hub.add(live)  # PostgreSQL only
    else:
        feeder = asyncio.create_task(_poll(live))
    try:
        while True:
            try:
                # A timeout scope, not wait_for: that wraps each wait in a task of its own, a cost
                # paid for every message of every stream.
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    item = await live.queue.get()
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if item is END:
                return
            yield item
    finally:
        if feeder is None:
            hub.remove(live)  # PostgreSQL only
        else:
            feeder.cancel()


async def _poll(live: Stream) -> None:
    """Without LISTEN/NOTIFY: count and look for new events every ``POLL_SECONDS``."""
    while True:
        up_to = await sync_to_async(newest_settled_id)(router.db_for_read(Event))
        new_ids, counted = await sync_to_async(refresh)(live, up_to)
        live.apply(new_ids, counted, up_to)
        await asyncio.sleep(POLL_SECONDS)
