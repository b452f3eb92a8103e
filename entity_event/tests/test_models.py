"""The schema: readable names, defaults, package imports and migrations."""

import subprocess
import sys
from datetime import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

import entity_event
from entity_event.models import (
    AdminEvent,
    ContextRenderer,
    Event,
    EventActor,
    EventSeen,
    Medium,
    RenderingStyle,
    Source,
    SourceGroup,
    Subscription,
    Unsubscription,
    _unseen_event_ids,
    never_expires,
)
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


def test_the_app_is_named_for_the_admin():
    assert apps.get_app_config("entity_event").verbose_name == "Django Entity Event"


def test_models_can_be_imported_from_the_package():
    from entity_event import Event as PackageEvent
    from entity_event import Medium as PackageMedium

    assert PackageEvent is Event and PackageMedium is Medium
    assert entity_event.__version__ == "4.0.0"
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        entity_event.Nothing  # noqa: B018


def test_importing_the_package_needs_no_configured_django():
    code = "import entity_event; print(entity_event.__version__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={})
    assert result.stdout.strip() == entity_event.__version__


def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_admin_event_is_a_proxy_of_event():
    assert AdminEvent._meta.proxy and AdminEvent._meta.concrete_model is Event


@pytest.mark.parametrize(("use_tz", "aware"), [(True, True), (False, False)])
def test_never_expires_follows_use_tz(settings, use_tz, aware):
    settings.USE_TZ = use_tz
    moment = never_expires()
    assert (moment.tzinfo is not None) is aware
    assert moment > datetime(9000, 1, 1, tzinfo=moment.tzinfo)


def test_every_model_reads_as_in_3x():
    source = helpers.source("photo-tag")
    newsfeed = helpers.medium("newsfeed")
    alice = helpers.entity("alice", supers=[helpers.entity("red", "team")])
    event = helpers.event(source, actors=[alice])
    short = RenderingStyle.objects.create(name="short", display_name="Short")
    seen = EventSeen(event=event, medium=newsfeed, time_seen=datetime(2014, 1, 2, 9, 5, 7))

    assert str(source.group) == "Site"
    assert str(source) == "Photo-Tag"
    assert str(newsfeed) == "Newsfeed"
    assert str(short) == "Short short"
    assert str(event) == f"Photo-Tag event at {event.time:%Y-%m-%d::%H:%M:%S}"
    assert str(EventActor.objects.get()) == f"Event {event.pk} - alice"
    assert str(seen) == "Seen on Newsfeed at 2014-01-02::09:05:07"
    assert (
        str(Unsubscription(entity=alice, medium=newsfeed, source=source))
        == "alice from Photo-Tag by Newsfeed"
    )
    assert str(helpers.subscribe(newsfeed, source, alice)) == "alice to Photo-Tag by Newsfeed"
    group = helpers.subscribe(newsfeed, source, alice, sub_kind="user", only_following=True)
    assert str(group) == "alice to Photo-Tag by Newsfeed"
    assert str(ContextRenderer(name="short-photo")) == "short-photo"


def test_a_name_stands_in_for_an_empty_display_name():
    """3.x showed an empty string (or a leading space) here; the admin needs something to click."""
    assert str(SourceGroup(name="raw")) == "raw"
    assert str(Source(name="login")) == "login"
    assert str(Medium(name="email")) == "email"
    assert str(RenderingStyle(name="plain")) == "plain"
    assert str(Event(source=Source(name="login"))) == "login event"


def test_every_public_name_of_the_3x_models_module_imports_from_it():
    names_of_3x = [
        "AdminEvent",
        "ContextRenderer",
        "DefaultContextSerializer",
        "Entity",
        "Event",
        "EventActor",
        "EventManager",
        "EventQuerySet",
        "EventSeen",
        "Medium",
        "RenderingStyle",
        "Source",
        "SourceGroup",
        "Subscription",
        "SubscriptionQuerySet",
        "Unsubscription",
        "_unseen_event_ids",
    ]
    missing = [name for name in names_of_3x if not hasattr(entity_event.models, name)]
    assert missing == []
    assert isinstance(Event.objects.all(), entity_event.models.EventQuerySet)
    assert isinstance(Subscription.objects.all(), entity_event.models.SubscriptionQuerySet)
    assert isinstance(Event.objects, entity_event.models.EventManager)


def test_the_unseen_event_ids_of_a_medium_leave_out_those_seen_there():
    source = helpers.source("photo-tag")
    newsfeed, email = helpers.medium("newsfeed"), helpers.medium("email")
    seen_here, seen_elsewhere, unseen = (helpers.event(source) for _ in range(3))
    EventSeen.objects.create(event=seen_here, medium=newsfeed)
    EventSeen.objects.create(event=seen_elsewhere, medium=email)

    assert set(_unseen_event_ids(newsfeed)) == {seen_elsewhere.pk, unseen.pk}


def test_subscription_cache_related_fetches_everything_in_one_query():
    helpers.subscribe(helpers.medium(), helpers.source(), helpers.entity("alice"), sub_kind="user")
    with CaptureQueriesContext(connection) as captured:
        [subscription] = Subscription.objects.cache_related()
        names = (subscription.medium.name, subscription.source.name, str(subscription.entity))
        assert names == ("newsfeed", "photo-tag", "alice") and subscription.sub_entity_kind.name == "user"
    assert len(captured) == 1


def test_cascade_deletes_follow_the_source():
    source = helpers.source()
    helpers.event(source, actors=[helpers.entity("alice")])
    Source.objects.all().delete()
    assert not Event.objects.exists() and not EventActor.objects.exists()
