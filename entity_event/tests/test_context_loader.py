"""Loading renderers and hinted model instances for many events at once."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from entity_event.context_loader import load_contexts_and_renderers, rendering_context
from entity_event.exceptions import ContextHintError, EventSourceDeletedError
from entity_event.models import Event
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


def loaded(event, medium):
    """The loaded rendering of ``event`` on ``medium``."""
    return event.loaded_renderings[medium.pk]


@pytest.fixture
def newsfeed(short):
    return helpers.medium("newsfeed", rendering_style=short)


# Choosing a renderer.


@pytest.fixture
def every_candidate(login, short, settings):
    """One renderer for each step of the choice order, with "plain" as the default style."""
    settings.DEFAULT_ENTITY_EVENT_RENDERING_STYLE = "plain"
    plain = helpers.style("plain")
    return {
        "group+medium style": helpers.renderer("group-short", short, group="accounts"),
        "source+medium style": helpers.renderer("login-short", short, source=login),
        "group+default style": helpers.renderer("group-plain", plain, group="accounts"),
        "source+default style": helpers.renderer("login-plain", plain, source=login),
    }


@pytest.mark.parametrize(
    "expected",
    ["group+medium style", "source+medium style", "group+default style", "source+default style"],
)
def test_the_first_renderer_in_the_documented_order_is_chosen(every_candidate, login, newsfeed, expected):
    order = list(every_candidate)
    for better in order[: order.index(expected)]:
        every_candidate[better].delete()
    event = helpers.event(login)

    load_contexts_and_renderers([event], [newsfeed])

    assert loaded(event, newsfeed).renderer == every_candidate[expected]


def test_without_a_default_style_setting_only_the_medium_style_counts(login, newsfeed, settings):
    settings.DEFAULT_ENTITY_EVENT_RENDERING_STYLE = None
    helpers.renderer("login-plain", helpers.style("plain"), source=login)
    event = helpers.event(login)

    load_contexts_and_renderers([event], [newsfeed])

    assert loaded(event, newsfeed).renderer is None


def test_a_medium_without_style_uses_the_default_style(login, settings):
    settings.DEFAULT_ENTITY_EVENT_RENDERING_STYLE = "plain"
    plain_renderer = helpers.renderer("login-plain", helpers.style("plain"), source=login)
    email = helpers.medium("email")
    event = helpers.event(login)

    load_contexts_and_renderers([event], [email])

    assert loaded(event, email).renderer == plain_renderer


def test_renderers_of_other_sources_and_groups_are_not_chosen(login, short, newsfeed):
    other = helpers.source("photo-tag", group="photos")
    helpers.renderer("photo-short", short, source=other)
    helpers.renderer("photos-short", short, group="photos")
    event = helpers.event(login)

    load_contexts_and_renderers([event], [newsfeed])

    assert loaded(event, newsfeed).renderer is None


def test_of_two_group_renderers_in_one_style_the_older_is_chosen(login, short, newsfeed):
    older = helpers.renderer("accounts-short", short, group="accounts")
    helpers.renderer("accounts-short-again", short, group="accounts")
    event = helpers.event(login)

    load_contexts_and_renderers([event], [newsfeed])

    assert loaded(event, newsfeed).renderer == older


def test_each_medium_gets_the_renderer_of_its_own_style(login, short, newsfeed):
    email = helpers.medium("email", rendering_style=helpers.style("email"))
    short_renderer = helpers.renderer("login-short", short, source=login)
    email_renderer = helpers.renderer("login-email", email.rendering_style, source=login)
    event = helpers.event(login)

    load_contexts_and_renderers([event], [newsfeed, email])

    assert loaded(event, newsfeed).renderer == short_renderer
    assert loaded(event, email).renderer == email_renderer


def test_loading_for_another_medium_keeps_what_was_loaded_before(login, short, newsfeed):
    helpers.renderer("login-short", short, source=login)
    email = helpers.medium("email")
    event = helpers.event(login)

    load_contexts_and_renderers([event], [newsfeed])
    load_contexts_and_renderers([event], [email])

    assert set(event.loaded_renderings) == {newsfeed.pk, email.pk}


def test_nothing_to_load_runs_no_query(newsfeed, login):
    with CaptureQueriesContext(connection) as captured:
        assert load_contexts_and_renderers([], [newsfeed]) == []
        assert load_contexts_and_renderers(Event.objects.none(), [newsfeed]) == []
    assert helpers.statements(captured) == []


# Context hints.


@pytest.fixture
def jeff():
    return User.objects.create(username="jeff")


@pytest.fixture
def wes():
    return User.objects.create(username="wes")


def test_a_hinted_primary_key_becomes_the_model_instance(login, short, newsfeed, jeff):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    event = helpers.event(login, context={"user": jeff.pk, "login_time": "noon"})

    load_contexts_and_renderers([event], [newsfeed])

    assert rendering_context(event, newsfeed) == {"user": jeff, "login_time": "noon"}


def test_loading_puts_the_rows_into_the_event_context_itself(login, short, newsfeed, jeff, wes):
    """As in 3.x: code that reads ``event.context`` after loading sees model instances."""
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    event = helpers.event(login, context={"user": jeff.pk, "friends": {"user": [wes.pk, 10**9]}})

    load_contexts_and_renderers([event], [newsfeed])

    assert event.context == {"user": jeff, "friends": {"user": [wes]}}
    assert Event.objects.get(pk=event.pk).context == {"user": jeff.pk, "friends": {"user": [wes.pk, 10**9]}}


def test_rendering_reads_the_event_context_as_it_is_when_rendering(login, short, newsfeed, jeff):
    """django-entity-emailer adds a key between loading and rendering (its "view in browser" link)."""
    helpers.renderer(
        "login-short",
        short,
        source=login,
        context_hints=helpers.USER_HINT,
        text_template="{{ user.username }} {{ link }}",
    )
    (event,) = load_contexts_and_renderers([helpers.event(login, context={"user": jeff.pk})], [newsfeed])

    event.context["link"] = "https://example.com/e/7"

    assert event.render(newsfeed)[0] == "jeff https://example.com/e/7"
    assert event.get_serialized_context(newsfeed)["link"] == "https://example.com/e/7"


def test_loading_again_keeps_the_rows_in_place(login, short, newsfeed, jeff):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    event = helpers.event(login, context={"user": jeff.pk})
    load_contexts_and_renderers([event], [newsfeed])
    placed = event.context["user"]

    load_contexts_and_renderers([event], [newsfeed])

    assert event.context["user"] is placed
    assert rendering_context(event, newsfeed) == {"user": jeff}


def test_every_occurrence_of_a_hinted_key_is_replaced_at_any_depth(login, short, newsfeed, jeff, wes):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    context = {
        "user": jeff.pk,
        "session": {"user": wes.pk, "device": {"user": str(jeff.pk)}},
        "attempts": [{"user": wes.pk, "ok": False}, {"user": jeff.pk, "ok": True}, "plain"],
        "witnesses": {"user": [jeff.pk, wes.pk]},
    }
    event = helpers.event(login, context=context)

    load_contexts_and_renderers([event], [newsfeed])

    assert rendering_context(event, newsfeed) == {
        "user": jeff,
        "session": {"user": wes, "device": {"user": jeff}},
        "attempts": [{"user": wes, "ok": False}, {"user": jeff, "ok": True}, "plain"],
        "witnesses": {"user": [jeff, wes]},
    }


def test_values_that_cannot_be_primary_keys_are_walked_not_replaced(login, short, newsfeed, jeff):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    context = {"user": {"user": jeff.pk}, "other": {"user": None}, "flag": {"user": True}}
    event = helpers.event(login, context=context)

    load_contexts_and_renderers([event], [newsfeed])

    assert rendering_context(event, newsfeed) == {
        "user": {"user": jeff},
        "other": {"user": None},
        "flag": {"user": True},
    }


def test_a_hinted_key_whose_row_is_gone_holds_none_and_lists_leave_it_out(login, short, newsfeed, jeff):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    gone = User.objects.create(username="gone")
    context = {"user": gone.pk, "friends": {"user": [jeff.pk, gone.pk]}, "typo": {"user": "not-a-pk"}}
    event = helpers.event(login, context=context)
    gone.delete()

    load_contexts_and_renderers([event], [newsfeed])

    assert rendering_context(event, newsfeed) == {
        "user": None,
        "friends": {"user": [jeff]},
        "typo": {"user": None},
    }


def test_a_fractional_number_is_no_primary_key_but_a_whole_one_written_as_float_is(
    login, short, newsfeed, jeff
):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    event = helpers.event(login, context={"user": jeff.pk + 0.5, "author": {"user": float(jeff.pk)}})

    load_contexts_and_renderers([event], [newsfeed])

    assert rendering_context(event, newsfeed) == {"user": None, "author": {"user": jeff}}


def test_keys_are_only_replaced_with_the_hints_of_the_medium_renderer(login, short, newsfeed, jeff):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    email = helpers.medium("email", rendering_style=helpers.style("email"))
    helpers.renderer("login-email", email.rendering_style, source=login)
    event = helpers.event(login, context={"user": jeff.pk})

    load_contexts_and_renderers([event], [newsfeed, email])

    assert rendering_context(event, newsfeed) == {"user": jeff}
    assert rendering_context(event, email) == {"user": jeff.pk}
    assert event.get_serialized_context(email) == {"user": jeff.pk}


def test_what_a_caller_puts_into_the_context_reaches_every_renderer_as_it_is(
    login, short, newsfeed, jeff, wes
):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    email = helpers.medium("email", rendering_style=helpers.style("email"))
    helpers.renderer("login-email", email.rendering_style, source=login)
    event = helpers.event(login, context={"user": jeff.pk})
    load_contexts_and_renderers([event], [newsfeed, email])

    event.context["reviewer"] = wes
    event.context["user"] = wes
    event.context["author"] = {"user": wes.pk}

    expected = {"user": wes, "reviewer": wes, "author": {"user": wes.pk}}
    assert rendering_context(event, newsfeed) == expected
    assert rendering_context(event, email) == expected


def test_an_event_without_renderer_keeps_a_copy_of_its_context(login, newsfeed):
    event = helpers.event(login, context={"user": 1, "nested": {"list": [1, 2]}})

    load_contexts_and_renderers([event], [newsfeed])

    context = rendering_context(event, newsfeed)
    assert context == event.context
    context["nested"]["list"].append(3)
    assert event.context == {"user": 1, "nested": {"list": [1, 2]}}


def load_then_render(event, medium):
    """Loading never raises for bad hints; rendering the event does."""
    load_contexts_and_renderers([event], [medium])
    return event.render(medium)


def test_an_unknown_model_in_a_hint_names_the_renderer_and_the_model(login, short, newsfeed):
    helpers.renderer(
        "login-short", short, source=login, context_hints={"user": {"app_name": "auth", "model_name": "Usr"}}
    )
    event = helpers.event(login, context={"user": 1})

    with pytest.raises(ContextHintError, match=r"'login-short'.*\"user\".*Usr.*names no installed model"):
        load_then_render(event, newsfeed)


def test_a_hint_error_reads_in_english_whatever_the_active_language(login, short, newsfeed):
    helpers.renderer("login-short", short, source=login, context_hints={"user": 1})
    event = helpers.event(login, context={"user": 1})

    with translation.override("fr"), pytest.raises(ContextHintError) as caught:
        load_then_render(event, newsfeed)

    assert str(caught.value) == (
        "context renderer 'login-short': The hint of \"user\", 1, must be an object with an app_name and a"
        " model_name."
    )


def test_an_unknown_app_in_a_hint_names_the_renderer_and_the_app(login, short, newsfeed):
    helpers.renderer(
        "login-short", short, source=login, context_hints={"user": {"app_name": "nope", "model_name": "User"}}
    )
    event = helpers.event(login, context={"user": 1})

    with pytest.raises(ContextHintError, match=r"'login-short'.*nope"):
        load_then_render(event, newsfeed)


def test_a_hint_without_model_name_is_refused(login, short, newsfeed):
    helpers.renderer("login-short", short, source=login, context_hints={"user": {"app_name": "auth"}})
    event = helpers.event(login, context={"user": 1})

    with pytest.raises(ContextHintError, match="'login-short'"):
        load_then_render(event, newsfeed)


@pytest.mark.parametrize("hints", [["user"], "auth.User"])
def test_hints_that_are_not_an_object_are_refused(login, short, newsfeed, hints):
    helpers.renderer("login-short", short, source=login, context_hints=hints)
    event = helpers.event(login, context={"user": 1})

    with pytest.raises(ContextHintError, match="'login-short'.*must be a JSON object mapping context keys"):
        load_then_render(event, newsfeed)


# Cost.


def store_logins(source, count: int) -> None:
    """``count`` login events, each naming a user, an entity and two friends."""
    kind = helpers.kind("user")
    for number in range(count):
        user = User.objects.create(username=f"user{number}")
        user.groups.add(Group.objects.get_or_create(name=f"group{number % 3}")[0])
        actor = helpers.entity(f"actor{number}")
        assert actor.entity_kind == kind
        helpers.event(
            source,
            context={"user": user.pk, "details": {"actor": actor.pk, "friends": {"user": [user.pk]}}},
        )


@pytest.fixture
def hinted_renderers(login, short):
    """Two renderers (one per style) hinting users with their groups and entities with their kinds."""
    hints = {
        "user": {"app_name": "auth", "model_name": "user", "prefetch_related": ["groups"]},
        "actor": {"app_name": "entity", "model_name": "Entity", "select_related": ["entity_kind"]},
    }
    helpers.renderer("login-short", short, source=login, context_hints=hints)
    email_style = helpers.style("email")
    helpers.renderer("accounts-email", email_style, group="accounts", context_hints=hints)
    return email_style


def load_all(mediums) -> tuple[list, list[str]]:
    """Load every event, fetched without select_related, and the statements that it ran."""
    with CaptureQueriesContext(connection) as captured:
        events = load_contexts_and_renderers(Event.objects.order_by("id"), mediums)
    return events, helpers.statements(captured)


@pytest.mark.parametrize("count", [2, 12])
def test_loading_runs_the_same_queries_for_few_and_many_events(login, newsfeed, hinted_renderers, count):
    email = helpers.medium("email", rendering_style=hinted_renderers)
    store_logins(login, count)

    events, statements = load_all([newsfeed, email])

    # Events, sources with groups, renderers, users, the users' groups, entities with kinds.
    assert len(statements) == 6
    assert len(events) == count
    with CaptureQueriesContext(connection) as captured:
        for event in events:
            for medium in (newsfeed, email):
                context = rendering_context(event, medium)
                assert [group.name for group in context["user"].groups.all()]
                assert context["details"]["actor"].entity_kind.name == "user"
                assert context["details"]["friends"]["user"] == [context["user"]]
                assert event.source.group.name == "accounts"
    assert helpers.statements(captured) == []


def test_events_with_cached_sources_skip_the_source_query(login, newsfeed, hinted_renderers):
    store_logins(login, 3)

    with CaptureQueriesContext(connection) as captured:
        load_contexts_and_renderers(Event.objects.cache_related(), [newsfeed])

    # Events with sources and groups, renderers, users, the users' groups, entities with kinds.
    assert len(helpers.statements(captured)) == 5


def test_a_model_hinted_by_two_renderers_is_fetched_once(login, newsfeed, hinted_renderers):
    email = helpers.medium("email", rendering_style=hinted_renderers)
    store_logins(login, 3)
    events = list(Event.objects.cache_related())

    with CaptureQueriesContext(connection) as captured:
        load_contexts_and_renderers(events, [newsfeed, email])

    statements = helpers.statements(captured)
    assert sum('FROM "auth_user" ' in sql for sql in statements) == 1
    assert sum('FROM "entity_entity" ' in sql for sql in statements) == 1


def test_a_hinted_model_no_context_mentions_is_not_queried(login, short, newsfeed):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    helpers.event(login, context={"login_time": "noon"})

    with CaptureQueriesContext(connection) as captured:
        (event,) = load_contexts_and_renderers(Event.objects.cache_related(), [newsfeed])

    assert not any('"auth_user"' in sql for sql in helpers.statements(captured))
    assert rendering_context(event, newsfeed) == {"login_time": "noon"}


def test_a_single_related_lookup_may_be_given_without_a_list(login, short, newsfeed):
    actor = helpers.entity("alice")
    hints = {"actor": {"app_name": "entity", "model_name": "entity", "select_related": "entity_kind"}}
    helpers.renderer("login-short", short, source=login, context_hints=hints)
    helpers.event(login, context={"actor": actor.pk})
    (event,) = load_contexts_and_renderers(Event.objects.cache_related(), [newsfeed])

    with CaptureQueriesContext(connection) as captured:
        assert rendering_context(event, newsfeed)["actor"].entity_kind.name == "user"
    assert helpers.statements(captured) == []


# Bad hints, hostile keys and vanished rows: a clear error, only for the events concerned.


def row_counts() -> dict[str, int]:
    """The number of rows of every table, to show that nothing was written."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def two_renderers(login, short, newsfeed, jeff):
    """Login events hinted by a renderer of their source; photo events by a sound renderer."""
    photo = helpers.source("photo-tag", group="photos")
    helpers.renderer(
        "photo-short",
        short,
        source=photo,
        context_hints=helpers.USER_HINT,
        text_template="{{ user.username }}",
    )
    return {
        "login": helpers.event(login, context={"user": jeff.pk}),
        "photo": helpers.event(photo, context={"user": jeff.pk}),
    }


@pytest.mark.parametrize(
    ("lookups", "named"),
    [
        ({"select_related": ["nonexistent"]}, 'select_related lookup "nonexistent"'),
        ({"select_related": "username"}, 'select_related lookup "username"'),
        ({"prefetch_related": ["groups", "nonexistent"]}, "prefetch_related 'nonexistent'"),
        ({"prefetch_related": ["username"]}, "prefetch_related 'username'"),
        ({"prefetch_related": [5]}, "prefetch_related that is not a list of names: [5]"),
        ({"select_related": {"a": 1}}, 'select_related that is not a list of names: {"a": 1}'),
        ({"fields": "username"}, 'fields that is not a list of names: "username"'),
        ({"related": ["groups"]}, "has unknown keys (related)"),
    ],
)
def test_a_bad_hint_fails_only_its_renderers_events_naming_renderer_and_lookup(
    login, short, newsfeed, two_renderers, lookups, named
):
    helpers.renderer(
        "login-short", short, source=login, context_hints={"user": {**helpers.USER_HINT["user"], **lookups}}
    )
    before = row_counts()

    events = load_contexts_and_renderers(Event.objects.order_by("id"), [newsfeed])

    login_event, photo_event = events
    with pytest.raises(ContextHintError) as raised:
        login_event.render(newsfeed)
    assert "'login-short'" in str(raised.value) and named in str(raised.value)
    with pytest.raises(ContextHintError):
        login_event.get_serialized_context(newsfeed)
    assert photo_event.render(newsfeed) == ("jeff", "")
    assert row_counts() == before


def test_a_bad_select_related_is_found_without_a_context_naming_the_model(login, short, newsfeed):
    hints = {"user": {**helpers.USER_HINT["user"], "select_related": ["nonexistent"]}}
    helpers.renderer("login-short", short, source=login, context_hints=hints, text_template="hi")

    (event,) = load_contexts_and_renderers([helpers.event(login, context={})], [newsfeed])

    with pytest.raises(ContextHintError, match='login-short.*"user".*select_related lookup "nonexistent"'):
        event.render(newsfeed)


def test_each_renderer_gets_only_what_its_own_hints_prefetch(login, short, newsfeed, jeff):
    """One renderer's prefetch adds nothing to the rows of another renderer hinting the same model."""
    staff = Group.objects.create(name="staff")
    jeff.groups.add(staff)
    prefetching = {"user": {**helpers.USER_HINT["user"], "prefetch_related": ["groups"]}}
    helpers.renderer("login-short", short, source=login, context_hints=prefetching)
    email = helpers.medium("email", rendering_style=helpers.style("email"))
    helpers.renderer("login-email", email.rendering_style, source=login, context_hints=helpers.USER_HINT)
    (event,) = load_contexts_and_renderers(
        [helpers.event(login, context={"user": jeff.pk})], [newsfeed, email]
    )

    assert event.get_serialized_context(newsfeed)["user"]["groups"] == [
        {"id": staff.pk, "name": "staff", "permissions": []}
    ]
    assert event.get_serialized_context(email)["user"]["groups"] == [staff.pk]


@pytest.mark.parametrize("count", [2, 8])
def test_renderers_with_different_lookups_cost_the_same_for_few_and_many_events(
    login, short, newsfeed, count
):
    with_kind = {"actor": {"app_name": "entity", "model_name": "Entity", "select_related": ["entity_kind"]}}
    helpers.renderer("login-short", short, source=login, context_hints=with_kind)
    email = helpers.medium("email", rendering_style=helpers.style("email"))
    plain = {"actor": {"app_name": "entity", "model_name": "Entity"}}
    helpers.renderer("login-email", email.rendering_style, source=login, context_hints=plain)
    for number in range(count):
        helpers.event(login, context={"actor": helpers.entity(f"actor{number}").pk})

    with CaptureQueriesContext(connection) as captured:
        load_contexts_and_renderers(Event.objects.cache_related(), [newsfeed, email])

    # Events with sources and groups, renderers, then entities once per renderer.
    assert sum('FROM "entity_entity"' in sql for sql in helpers.statements(captured)) == 2
    assert len(helpers.statements(captured)) == 4


@pytest.mark.parametrize("pk", [10**30, -(10**30), str(10**30), 1e30])
def test_a_hinted_key_out_of_the_databases_range_finds_no_row(login, short, newsfeed, jeff, pk):
    helpers.renderer("login-short", short, source=login, context_hints=helpers.USER_HINT)
    event = helpers.event(login, context={"user": pk, "friends": {"user": [jeff.pk, pk]}})
    before = row_counts()

    load_contexts_and_renderers([event], [newsfeed])

    assert rendering_context(event, newsfeed) == {"user": None, "friends": {"user": [jeff]}}
    assert row_counts() == before


def test_an_event_whose_source_was_deleted_meanwhile_is_named_and_the_others_render(login, short, newsfeed):
    helpers.renderer("login-short", short, source=login, text_template="login")
    photo = helpers.source("photo-tag", group="photos")
    helpers.renderer("photo-short", short, source=photo, text_template="photo")
    kept = helpers.event(login)
    events = list(Event.objects.order_by("id"))
    orphan = helpers.event(photo)
    events = [*events, Event.objects.get(pk=orphan.pk)]
    photo_id = photo.pk
    photo.delete()
    before = row_counts()

    rendered = newsfeed.render(events)

    assert rendered == {events[0]: ("login", "")}
    with pytest.raises(EventSourceDeletedError, match=rf"event {orphan.pk} .*source {photo_id} was deleted"):
        events[1].render(newsfeed)
    with pytest.raises(EventSourceDeletedError):
        events[1].get_serialized_context(newsfeed)
    assert events[0].pk == kept.pk
    assert row_counts() == before
