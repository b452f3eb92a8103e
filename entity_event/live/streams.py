"""One open stream: what it watches, the state it last sent, and its messages in the format of
Server-Sent Events."""

import asyncio
import json

from entity.models import Entity

from entity_event.models import Medium

#: At most this many new event ids in one ``new`` message, which says ``"more": true`` when
#: there were more (a page then reloads its list rather than fetch each event).
MAX_NEW_IDS = 100

#: Milliseconds a browser waits before reconnecting a dropped stream (the ``retry:`` field).
RETRY_MILLISECONDS = 3000

#: What a stream's queue receives when the server closes it.
END = None


def message(event: str, data: dict, event_id: int) -> str:
    """One Server-Sent Event: its id, its name and its data as one line of JSON."""
    return f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data)}\n\n"


class Stream:
    """An open stream of ``entity``'s inbox on ``medium``, counting up to ``limit``.

    ``after`` is the newest event id the stream has accounted for: every event the entity
    receives up to it was announced (or predates the stream). It is the ``id:`` of every message,
    so a browser reconnecting with it as ``Last-Event-ID`` resumes where it stopped. Messages go
    to ``queue``, on the event loop of the view, from whichever thread computes them.
    """

    def __init__(self, medium: Medium, entity: Entity, limit: int, after: int):
        self.medium = medium
        self.entity = entity
        self.limit = limit
        self.after = after
        self.sent: dict | None = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.loop = asyncio.get_running_loop()

    def __repr__(self) -> str:
        return f"<Stream of {self.entity} on {self.medium} after {self.after}>"

    def apply(self, new_ids: list[int], counted: int | None, up_to: int | None) -> None:
        """Send what changed: the ids of new events above ``after`` (at most ``MAX_NEW_IDS + 1``,
        looked for up to ``up_to``, the newest settled id then), and the count (of ``limit + 1``
        at most) when it differs from the one last sent."""
        new_ids = [event_id for event_id in new_ids if event_id > self.after]
        if up_to is not None:
            self.after = max(self.after, up_to)
        if new_ids:
            more = len(new_ids) > MAX_NEW_IDS
            self.push(message("new", {"ids": new_ids[:MAX_NEW_IDS], "more": more}, self.after))
        if counted is not None:
            state = {"count": min(counted, self.limit), "more": counted > self.limit}
            if state != self.sent:
                self.sent = state
                self.push(message("unseen-count", state, self.after))

    def push(self, item: str | None) -> None:
        """Queue ``item`` for the view, safely from any thread."""
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
