"""manage.py deliver_events: the cron entry point."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import modify_settings, override_settings
from django.utils import timezone

from entity_event.models import Delivery
from entity_event.tests import helpers
from entity_event.tests.delivery.conftest import post
from entity_event.tests.models import FollowSubEntitiesMedium


def deliver_events(*args) -> str:
    out = StringIO()
    call_command("deliver_events", *args, stdout=out)
    return out.getvalue()


def test_it_plans_the_new_events_of_every_medium_with_a_channel(club):
    post(club)
    helpers.medium("newsfeed")  # no channel: not delivered

    assert deliver_events() == "0 due deliveries enqueued\nemail: 3 deliveries planned\n"
    assert len(mail.outbox) == 3


def test_where_tasks_are_deferred_it_enqueues_the_deliveries_overdue_by_a_lease(club, dummy_tasks):
    post(club)
    club.medium.deliver()
    dummy_tasks.clear()
    # Due, but within the lease: its task (enqueued at planning) may still be waiting in the queue.
    Delivery.objects.filter(entity=club.users[1]).update(
        time_next_attempt=timezone.now() - timedelta(seconds=9)
    )
    # Overdue by more than the lease: its task was lost.
    Delivery.objects.filter(entity=club.users[0]).update(time_next_attempt=timezone.now() - timedelta(1))

    assert deliver_events("--medium", "email") == "1 due deliveries enqueued\nemail: 0 deliveries planned\n"
    [result] = dummy_tasks.results
    assert result.args == [[Delivery.objects.get(entity=club.users[0]).pk]]


def test_only_the_named_mediums_are_delivered(club):
    post(club)
    other = helpers.medium("other", rendering_style=club.medium.rendering_style)
    helpers.subscribe(other, club.news, club.club, sub_kind="user")
    with override_settings(
        ENTITY_EVENT_CHANNELS={"email": "x", "other": "entity_event.channels.EmailChannel"}
    ):
        deliver_events("--medium", "other")

    assert set(Delivery.objects.values_list("medium__name", flat=True)) == {"other"}


def test_an_unknown_medium_is_named_and_nothing_is_delivered(club):
    post(club)
    with pytest.raises(CommandError, match="No medium is named 'sms', 'fax'"):
        deliver_events("--medium", "email", "--medium", "sms", "--medium", "fax")
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize("name", ["em\x00ail", "\x00", "email\udcff"])  # \udcff: a non-UTF-8 byte of argv
def test_a_name_no_medium_can_have_is_named_and_nothing_is_delivered(club, name):
    post(club)
    with pytest.raises(CommandError) as raised:
        deliver_events("--medium", "email", "--medium", name)
    assert str(raised.value) == f"No medium is named {name!r}."
    assert Delivery.objects.count() == 0


@override_settings(ENTITY_EVENT_CHANNELS={"alerts": "entity_event.channels.EmailChannel"})
def test_a_medium_subclass_is_planned_with_its_own_follow_rules(db):
    club = helpers.entity("club", "club")
    member = helpers.entity("member", supers=[club])
    alerts = helpers.medium("alerts", medium_class=FollowSubEntitiesMedium)
    doings = helpers.source("doings")
    helpers.subscribe(alerts, doings, club, only_following=True)
    helpers.event(doings, actors=[member])  # the club follows its members on this medium only

    deliver_events()

    assert list(Delivery.objects.values_list("entity_id", flat=True)) == [club.pk]


def test_without_a_base_url_for_the_email_links_it_fails_naming_the_setting(club, settings):
    settings.ENTITY_EVENT_BASE_URL = None
    post(club)
    with modify_settings(INSTALLED_APPS={"remove": "django.contrib.sites"}):
        with pytest.raises(CommandError, match="set ENTITY_EVENT_BASE_URL"):
            deliver_events()

    assert Delivery.objects.count() == 0
    assert mail.outbox == []
