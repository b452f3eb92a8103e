"""The pairs an entity receives, and switching them off and on."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entity_event.models import Unsubscription
from entity_event.preferences import (
    NotSubscribedError,
    Preference,
    by_source_group,
    preferences,
    resubscribe,
    set_receiving,
    unsubscribe,
)
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    """alice in the red team; sources in two groups; a newsfeed and an email medium."""
    red = helpers.entity("red", "team")
    return {
        "red": red,
        "alice": helpers.entity("alice", supers=[red]),
        "photo": helpers.source("photo-tag", group="social"),
        "comment": helpers.source("comment", group="social"),
        "login": helpers.source("login", group="accounts"),
        "newsfeed": helpers.medium("newsfeed"),
        "email": helpers.medium("email"),
    }


def pairs(entity) -> list[tuple[str, str, bool]]:
    return [(p.source.name, p.medium.name, p.receiving) for p in preferences(entity)]


def test_own_group_and_only_following_subscriptions_each_give_one_pair(company):
    c = company
    helpers.subscribe(c["newsfeed"], c["photo"], c["red"], sub_kind="user", only_following=True)
    helpers.subscribe(c["newsfeed"], c["photo"], c["alice"])  # the same pair again, by her own
    helpers.subscribe(c["email"], c["login"], c["alice"])
    helpers.subscribe(c["email"], c["comment"], c["red"], sub_kind="user")
    helpers.unsubscribe(c["email"], c["comment"], c["alice"])

    assert pairs(c["alice"]) == [
        ("login", "email", True),  # the group "Accounts" sorts before "Social"
        ("comment", "email", False),
        ("photo-tag", "newsfeed", True),
    ]


def test_subscriptions_that_do_not_reach_the_entity_give_no_pair(company):
    c = company
    blue = helpers.entity("blue", "team")
    helpers.subscribe(c["newsfeed"], c["photo"], blue, sub_kind="user")  # another team
    helpers.subscribe(c["newsfeed"], c["comment"], c["red"])  # the team itself, not its members
    helpers.subscribe(c["newsfeed"], c["login"], c["red"], sub_kind="admin")  # another kind of member
    helpers.unsubscribe(c["email"], c["login"], c["alice"])  # an unsubscription alone is no pair

    assert pairs(c["alice"]) == []


def test_an_inactive_entity_keeps_only_its_own_subscriptions(company):
    c = company
    bob = helpers.entity("bob", supers=[c["red"]], is_active=False)
    helpers.subscribe(c["newsfeed"], c["photo"], c["red"], sub_kind="user")
    helpers.subscribe(c["email"], c["login"], bob)

    assert pairs(bob) == [("login", "email", True)]


def test_pairs_are_grouped_by_source_group(company):
    c = company
    for source in (c["photo"], c["comment"], c["login"]):
        helpers.subscribe(c["newsfeed"], source, c["alice"])

    grouped = by_source_group(preferences(c["alice"]))

    assert [(group.name, [p.source.name for p in group_pairs]) for group, group_pairs in grouped] == [
        ("accounts", ["login"]),
        ("social", ["comment", "photo-tag"]),
    ]
    assert isinstance(grouped[0][1][0], Preference)


def test_listing_takes_one_query_whatever_the_number_of_pairs(company):
    c = company

    def grow(size: int) -> None:
        for number in range(size):
            group = helpers.entity(f"team-{size}-{number}", "team", supers=[])
            c["alice"].super_relationships.create(super_entity=group)
            medium = helpers.medium(f"medium-{size}-{number}")
            source = helpers.source(f"source-{size}-{number}", group=f"group-{size}-{number}")
            helpers.subscribe(medium, source, group, sub_kind="user", only_following=number % 2 == 0)
            helpers.subscribe(medium, c["photo"], c["alice"])
            helpers.unsubscribe(medium, source, c["alice"])

    counts = []
    for size in (1, 6):
        grow(size)
        with CaptureQueriesContext(connection) as captured:
            listed = preferences(c["alice"])
            [(p.medium.name, p.source.group.name) for p in listed]
        counts.append((len(captured), len(listed) > size))
    assert counts == [(1, True), (1, True)]


def test_switching_off_stores_one_unsubscription_and_on_deletes_it(company):
    c = company
    helpers.subscribe(c["email"], c["login"], c["red"], sub_kind="user")
    rows = Unsubscription.objects.filter(entity=c["alice"], medium=c["email"], source=c["login"])

    set_receiving(c["alice"], c["email"].pk, c["login"].pk, False)
    set_receiving(c["alice"], c["email"].pk, c["login"].pk, False)
    assert rows.count() == 1
    assert pairs(c["alice"]) == [("login", "email", False)]

    set_receiving(c["alice"], c["email"].pk, c["login"].pk, True)
    set_receiving(c["alice"], c["email"].pk, c["login"].pk, True)
    assert rows.count() == 0
    assert pairs(c["alice"]) == [("login", "email", True)]


def test_a_pair_the_entity_is_not_subscribed_to_cannot_be_switched(company):
    c = company
    helpers.subscribe(c["email"], c["login"], c["alice"])
    helpers.subscribe(c["newsfeed"], c["photo"], c["red"])  # the team only
    helpers.unsubscribe(c["newsfeed"], c["comment"], c["alice"])

    for medium, source, receiving in [
        (c["newsfeed"], c["login"], False),  # subscribed source, other medium
        (c["email"], c["photo"], False),  # subscribed medium, other source
        (c["newsfeed"], c["photo"], False),  # the team's own subscription
        (c["newsfeed"], c["comment"], True),  # an unsubscription without a subscription
    ]:
        message = (
            f"entity {c['alice'].pk} is not subscribed to source id {source.pk} on medium id {medium.pk}"
        )
        with pytest.raises(NotSubscribedError, match=message):
            set_receiving(c["alice"], medium.pk, source.pk, receiving)

    assert list(Unsubscription.objects.values_list("medium__name", "source__name")) == [
        ("newsfeed", "comment")
    ]


def test_unsubscribe_and_resubscribe_say_whether_they_changed_anything(company):
    c = company
    assert unsubscribe(c["alice"], c["email"].pk, c["login"].pk) is True
    assert unsubscribe(c["alice"], c["email"].pk, c["login"].pk) is False
    assert resubscribe(c["alice"], c["email"].pk, c["login"].pk) is True
    assert resubscribe(c["alice"], c["email"].pk, c["login"].pk) is False
    assert Unsubscription.objects.count() == 0


@helpers.needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_switches_off_store_one_unsubscription(company):
    c = company
    helpers.subscribe(c["email"], c["login"], c["alice"])

    for _round in range(5):
        results = helpers.run_at_once(6, lambda: unsubscribe(c["alice"], c["email"].pk, c["login"].pk))
        assert sorted(results) == [False] * 5 + [True]
        assert Unsubscription.objects.count() == 1
        resubscribe(c["alice"], c["email"].pk, c["login"].pk)
