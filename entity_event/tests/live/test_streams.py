"""A stream's messages: what changed since the last one, in the format of Server-Sent Events."""

import asyncio

from entity_event.live.streams import MAX_NEW_IDS, Stream, message
from entity_event.models import Medium


def drained(stream: Stream) -> list[str]:
    items = []
    while not stream.queue.empty():
        items.append(stream.queue.get_nowait())
    return items


def run(work):
    """Run ``work(stream)`` on an event loop, with a stream of limit 3 after event 10; return its
    messages."""

    async def main():
        stream = Stream(Medium(pk=1, name="newsfeed"), entity=None, limit=3, after=10)
        work(stream)
        await asyncio.sleep(0)  # the messages are queued by call_soon_threadsafe
        return stream, drained(stream)

    return asyncio.run(main())


def test_a_message_has_an_id_a_name_and_one_line_of_json():
    assert message("new", {"ids": [1, 2]}, 7) == 'id: 7\nevent: new\ndata: {"ids": [1, 2]}\n\n'


def test_the_first_count_is_sent_and_the_same_count_is_not_sent_again():
    stream, messages = run(lambda stream: [stream.apply([], 2, None), stream.apply([], 2, None)])

    assert messages == [message("unseen-count", {"count": 2, "more": False}, 10)]


def test_a_count_above_the_limit_says_there_are_more():
    stream, messages = run(lambda stream: [stream.apply([], 3, None), stream.apply([], 4, None)])

    assert messages == [
        message("unseen-count", {"count": 3, "more": False}, 10),
        message("unseen-count", {"count": 3, "more": True}, 10),
    ]


def test_new_events_move_the_id_to_where_they_were_looked_for():
    stream, messages = run(lambda stream: stream.apply([9, 11, 12], 1, 15))

    assert stream.after == 15
    assert messages == [
        message("new", {"ids": [11, 12], "more": False}, 15),
        message("unseen-count", {"count": 1, "more": False}, 15),
    ]


def test_no_new_event_sends_nothing_but_still_moves_the_id():
    stream, messages = run(lambda stream: stream.apply([], None, 20))

    assert (stream.after, messages) == (20, [])


def test_too_many_new_events_are_cut_and_say_so():
    ids = list(range(11, 11 + MAX_NEW_IDS + 1))

    stream, messages = run(lambda stream: stream.apply(ids, None, ids[-1]))

    assert messages == [message("new", {"ids": ids[:MAX_NEW_IDS], "more": True}, ids[-1])]
