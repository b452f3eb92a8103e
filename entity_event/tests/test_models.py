"""The schema: readable names, defaults, package imports and migrations."""

import json
import subprocess
import sys
from datetime import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import entity_event
from entity_event.exceptions import InvalidContextError
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


def test_the_admin_index_shows_the_app_under_its_name(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert ">Django Entity Event</a>" in page
    assert page.index("Django Entity Event") < page.index("Announcements")


def test_models_imported_from_the_package_are_the_models_of_the_app():
    from entity_event import Event as PackageEvent
    from entity_event import Medium as PackageMedium

    stored = PackageEvent.objects.create_event(source=helpers.source())
    assert Event.objects.get() == stored
    assert PackageMedium.objects.create(name="email").pk == Medium.objects.get(name="email").pk
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        entity_event.Nothing  # noqa: B018


def test_importing_the_package_needs_no_configured_django():
    code = "import entity_event; print(entity_event.__version__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={})
    assert result.stdout.strip() == entity_event.__version__


def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_announcements_and_events_are_the_same_rows():
    source = helpers.source()
    from_code = helpers.event(source, context={"text": "From code"})
    assert list(AdminEvent.objects.values_list("pk", flat=True)) == [from_code.pk]
    announcement = AdminEvent.objects.create_event(source=source, context={"text": "Hello"})

    assert Event.objects.get(pk=announcement.pk).context == {"text": "Hello"}
    assert set(AdminEvent.objects.all()) == set(Event.objects.all()) == {from_code, announcement}
    assert AdminEvent._meta.db_table == Event._meta.db_table


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


def test_cascade_deletes_follow_the_source_group():
    helpers.event(helpers.source(group="photos"), actors=[helpers.entity("alice")])
    SourceGroup.objects.filter(name="photos").delete()
    assert not Event.objects.exists() and not EventActor.objects.exists()


# Bad values that staff or other code can store, and what they get.


@pytest.mark.parametrize("value", [[1, 2], "site", 7])
def test_an_additional_context_that_is_not_an_object_is_a_validation_error_naming_it(value):
    newsfeed = Medium(name="newsfeed", display_name="Newsfeed", description="-", additional_context=value)

    with pytest.raises(ValidationError) as raised:
        newsfeed.full_clean()

    [message] = raised.value.message_dict["additional_context"]
    assert message == (
        f"The additional context must be a JSON object of names and values, not {json.dumps(value)}."
    )


@pytest.mark.parametrize("value", [None, {}, {"site": "Example Corp", "colours": ["red"]}])
def test_an_additional_context_object_or_none_is_valid(value):
    Medium(name="newsfeed", display_name="Newsfeed", description="-", additional_context=value).full_clean()


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        (["user"], 'The context hints must be a JSON object mapping context keys to hints, not ["user"].'),
        ("user", 'The context hints must be a JSON object mapping context keys to hints, not "user".'),
        (
            {"user": "auth.User"},
            'of "user", "auth.User", must be an object with an app_name and a model_name.',
        ),
        ({"user": {"app_name": "auth"}}, "must name a model with a text app_name and model_name."),
        ({"user": {"app_name": "auth", "model_name": 7}}, "must name a model with a text app_name"),
        (
            {"user": {"app_name": "auth", "model_name": "Nobody"}},
            '"model_name": "Nobody"}, names no installed',
        ),
        (
            {"user": {"app_name": "auth", "model_name": "User", "select": ["groups"]}},
            "has unknown keys (select); a hint may hold app_name, model_name, select_related",
        ),
        (
            {"user": {"app_name": "auth", "model_name": "User", "prefetch_related": {"groups": 1}}},
            'has a prefetch_related that is not a list of names: {"groups": 1}.',
        ),
        (
            {"user": {"app_name": "auth", "model_name": "User", "select_related": [1]}},
            "has a select_related that is not a list of names: [1].",
        ),
        (
            {"user": {"app_name": "auth", "model_name": "User", "fields": "username"}},
            'has a fields that is not a list of names: "username".',
        ),
        (
            {"user": {"app_name": "auth", "model_name": "User", "select_related": "groups%s"}},
            'has the select_related lookup "groups%s", which the model refuses: Invalid field name(s) given '
            "in select_related: 'groups%s'",
        ),
        (
            {"user%": {"app_name": "auth", "model_name": "User", "%(x)s": 1}},
            'The hint of "user%", {"app_name": "auth", "model_name": "User", "%(x)s": 1}, has unknown keys '
            "(%(x)s)",
        ),
    ],
)
def test_malformed_context_hints_are_a_validation_error_naming_them(short, hints, message):
    renderer = ContextRenderer(name="short-login", rendering_style=short, context_hints=hints)

    with pytest.raises(ValidationError) as raised:
        renderer.full_clean()

    [shown] = raised.value.message_dict["context_hints"]
    assert message in shown


@pytest.mark.parametrize(
    "hints",
    [
        None,
        {},
        helpers.USER_HINT,
        {"user": {"app_name": "auth", "model_name": "User", "fields": ["id", "username"]}},
        {
            "membership": {
                "app_name": "entity",
                "model_name": "EntityRelationship",
                "select_related": "sub_entity",
            }
        },
        {"user": {"app_name": "auth", "model_name": "user", "prefetch_related": ["groups"]}},
    ],
)
def test_well_formed_context_hints_are_valid(short, hints):
    ContextRenderer(name="short-login", rendering_style=short, context_hints=hints).full_clean()


def test_rendering_on_a_medium_whose_additional_context_is_not_an_object_names_the_medium(login, short):
    helpers.renderer("short-login", short, source=login, text_template="{{ user }} logged in")
    listed = helpers.medium("listed", rendering_style=short, additional_context=["site"])
    event = helpers.event(login, context={"user": "jeff"})

    with helpers.row_counts_unchanged(), pytest.raises(InvalidContextError) as raised:
        listed.render([event])

    assert str(raised.value) == (
        "medium 'listed' has the additional context ['site'], which must be an object of names and values"
    )


@pytest.mark.parametrize("context", [["jeff", "wes"], "jeff logged in", 7])
def test_rendering_an_event_whose_context_is_not_an_object_names_the_event(login, short, context):
    """Such contexts cannot come from create_event, but 3.x or ``Event.objects.create`` stored them."""
    helpers.renderer("short-login", short, source=login, text_template="{{ user }} logged in")
    notification = helpers.medium("notification", rendering_style=short)
    good = helpers.event(login, context={"user": "jeff"})
    bad = Event.objects.create(source=login, context=context, uuid="from-3.x")

    with helpers.row_counts_unchanged(), pytest.raises(InvalidContextError) as raised:
        notification.render([good, bad])

    assert str(raised.value) == (
        f"event {bad.pk} has the context {context!r}, which templates cannot render: "
        "a context must be an object of names and values"
    )
    [loaded] = Event.objects.filter(pk=bad.pk).load_contexts_and_renderers(notification)
    with pytest.raises(InvalidContextError, match=f"event {bad.pk} has the context"):
        loaded.get_serialized_context(notification)


def test_deleting_a_rendering_style_keeps_its_mediums_on_the_default_style(login, short, settings):
    settings.DEFAULT_ENTITY_EVENT_RENDERING_STYLE = "plain"
    helpers.renderer("plain-login", helpers.style("plain"), source=login, text_template="{{ user }} came")
    helpers.renderer("short-login", short, source=login, text_template="{{ user }} logged in")
    notification = helpers.medium("notification", rendering_style=short)
    alice = helpers.entity("alice")
    helpers.subscribe(notification, login, alice)
    helpers.unsubscribe(notification, login, helpers.entity("bob"))
    event = helpers.event(login, context={"user": "jeff"})
    notification.events(seen=False, mark_seen=True)
    assert notification.render([event]) == {event: ("jeff logged in", "")}

    short.delete()

    notification.refresh_from_db()
    assert notification.rendering_style is None
    assert Subscription.objects.filter(medium=notification, entity=alice).exists()
    assert Unsubscription.objects.filter(medium=notification).exists()
    assert EventSeen.objects.filter(medium=notification, event=event).exists()
    assert notification.render([event]) == {event: ("jeff came", "")}
