"""The payloads of the triggers' notifications, as the listener reads them (no database needed)."""

from entity_event.live.listener import parse


def test_parse_reads_events_and_the_marked_entities_of_each_medium():
    assert parse(["events:4:9", "marks:1:2,3", "marks:1:5", "marks:2:*"]) == (True, {1: {2, 3, 5}, 2: {"*"}})
    assert parse(["marks:1:2", "later:1"]) == (False, {1: {2}})  # a kind it does not know is left alone
