"""Pages of groups while another transaction is still creating events (PostgreSQL, real threads)."""

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from entity_event.tests import helpers

pytestmark = [pytest.mark.django_db(transaction=True), helpers.needs_postgresql]

#: How long a thread waits for the other one; a test that waits this long has failed.
PATIENCE = 10


def test_pages_read_while_a_slow_transaction_creates_events_keep_every_group_once():
    alice = helpers.entity("alice")
    newsfeed, comment = helpers.medium("newsfeed"), helpers.source("comment")
    comment.group_by = "photo"
    comment.save()
    helpers.subscribe(newsfeed, comment, alice)
    start = timezone.now() - timedelta(hours=1)
    for photo in range(4):
        for n in range(2):
            helpers.event(comment, time=start + timedelta(minutes=photo, seconds=n), context={"photo": photo})
    inbox = newsfeed.inbox(alice)
    taken, read = threading.Event(), threading.Event()

    def comment_slowly():
        with transaction.atomic():
            helpers.event(comment, context={"photo": 0})  # joins the group of the last page
            taken.set()
            assert read.wait(PATIENCE), "the reader waited for this transaction"

    def comment_quickly_then_read_the_first_page():
        assert taken.wait(PATIENCE)
        try:
            helpers.event(comment, context={"photo": 1})  # a later id, committed first
            groups = inbox.groups()
            return groups, groups[:2]
        finally:
            read.set()

    _, (groups, first_page) = helpers.run_together(comment_slowly, comment_quickly_then_read_the_first_page)
    second_page = groups.older_than(first_page[-1])[:2]

    pages = first_page + second_page
    assert [(group.key, group.count) for group in pages] == [(3, 2), (2, 2), (1, 2), (0, 2)]
    assert groups.older_than(second_page[-1])[:2] == []
    fresh = inbox.groups()
    assert [(group.key, group.count) for group in fresh] == [(1, 3), (0, 3), (3, 2), (2, 2)]
