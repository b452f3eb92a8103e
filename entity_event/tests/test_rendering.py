"""Rendering events on mediums: templates, escaping, additional context, errors and cost."""

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.template import TemplateDoesNotExist
from django.test.utils import CaptureQueriesContext

from entity_event.context_loader import load_contexts_and_renderers
from entity_event.exceptions import ContextNotLoadedError, NoRendererError, RendererTemplateNotFound
from entity_event.models import ContextRenderer, Event
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def notification(short):
    return helpers.medium("notification", rendering_style=short)


@pytest.fixture
def login_renderer(login, short):
    return helpers.renderer(
        "short-login",
        short,
        source=login,
        text_template_path="entity_event_tests/login.txt",
        html_template_path="entity_event_tests/login.html",
        context_hints=helpers.USER_HINT,
    )


def login_event(source, username: str, login_time: str) -> Event:
    user = User.objects.create(username=username)
    return helpers.event(source, context={"user": user.pk, "login_time": login_time})


# The worked example of the docs.


def test_a_medium_renders_login_events_with_the_user_looked_up(login, notification, login_renderer):
    helpers.subscribe(notification, login, helpers.entity("staff"))
    jeff = login_event(login, "jeff", "January 1, 2015")
    wes = login_event(login, "wes", "February 28, 2015")

    rendered = notification.render(notification.events())

    assert rendered == {
        jeff: (
            "User jeff logged in at January 1, 2015",
            "<p>User <b>jeff</b> logged in at January 1, 2015</p>",
        ),
        wes: (
            "User wes logged in at February 28, 2015",
            "<p>User <b>wes</b> logged in at February 28, 2015</p>",
        ),
    }


@pytest.mark.parametrize("count", [2, 10])
def test_a_medium_renders_any_number_of_events_in_the_same_queries(
    login, notification, login_renderer, count
):
    for number in range(count):
        login_event(login, f"user{number}", "noon")

    with CaptureQueriesContext(connection) as captured:
        rendered = notification.render(Event.objects.all())

    # Events, their sources with groups, renderers, users.
    assert len(helpers.statements(captured)) == 4
    assert sorted(text for text, _html in rendered.values())[0] == "User user0 logged in at noon"


def test_loaded_events_from_the_manager_and_a_queryset_render(login, notification, login_renderer):
    event = login_event(login, "jeff", "noon")

    (from_manager,) = Event.objects.load_contexts_and_renderers(notification)
    (from_queryset,) = Event.objects.filter(pk=event.pk).load_contexts_and_renderers(notification)

    assert from_manager.render(notification)[0] == "User jeff logged in at noon"
    assert from_queryset.render(notification)[0] == "User jeff logged in at noon"


# Templates.


def test_a_template_path_wins_over_an_inline_template(login, notification, login_renderer):
    login_renderer.text_template = "inline {{ login_time }}"
    login_renderer.html_template = "<i>inline</i>"
    login_renderer.save()
    login_event(login, "jeff", "noon")
    (event,) = Event.objects.load_contexts_and_renderers(notification)

    assert event.render(notification) == (
        "User jeff logged in at noon",
        "<p>User <b>jeff</b> logged in at noon</p>",
    )


def test_an_inline_template_is_used_without_a_path(login, notification, short):
    renderer = helpers.renderer(
        "inline", short, source=login, text_template="{{ a }} and {{ b }}", html_template="<b>{{ a }}</b>"
    )

    assert renderer.render_text_or_html_template({"a": 1, "b": 2}) == "1 and 2"
    assert renderer.render_text_or_html_template({"a": 1}, is_text=False) == "<b>1</b>"


def test_a_renderer_without_template_renders_empty_strings(login, short):
    renderer = helpers.renderer("html-only", short, source=login, html_template=" <b>{{ a }}</b>\n")

    assert renderer.render_text_or_html_template({"a": 1}) == ""
    assert renderer.render_context_to_text_html_templates({"a": 1}) == ("", "<b>1</b>")


def test_renderings_are_stripped_of_surrounding_whitespace(login, short):
    renderer = helpers.renderer("spaced", short, source=login, text_template="\n  {{ a }}  \n")

    assert renderer.render_context_to_text_html_templates({"a": "x"}) == ("x", "")


def test_a_missing_template_path_names_the_renderer_and_the_path(login, short):
    renderer = helpers.renderer("broken", short, source=login, html_template_path="nowhere/login.html")

    with pytest.raises(
        RendererTemplateNotFound, match=r"'broken'.*html template 'nowhere/login.html'"
    ) as error:
        renderer.render_context_to_text_html_templates({})

    assert isinstance(error.value, TemplateDoesNotExist)


# Escaping.


def test_html_renderings_escape_values_and_text_renderings_do_not(login, notification, short):
    helpers.renderer(
        "escaping", short, source=login, text_template="{{ title }}", html_template="<p>{{ title }}</p>"
    )
    event = helpers.event(login, context={"title": "Tom & Jerry <script>alert(1)</script>"})

    text, html = notification.render([event])[event]

    assert text == "Tom & Jerry <script>alert(1)</script>"
    assert html == "<p>Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_text_templates_from_a_path_are_not_escaped_either(login, notification, login_renderer):
    event = login_event(login, "tom&jerry", "<noon>")

    text, html = notification.render([event])[event]

    assert text == "User tom&jerry logged in at <noon>"
    assert html == "<p>User <b>tom&amp;jerry</b> logged in at &lt;noon&gt;</p>"


# Additional context and the observing entity.


def test_a_medium_additional_context_is_merged_over_the_event_context(login, short):
    helpers.renderer("greeting", short, source=login, text_template="{{ header }}: {{ login_time }}")
    branded = helpers.medium(
        "branded", rendering_style=short, additional_context={"header": "Acme", "login_time": "soon"}
    )
    plain = helpers.medium("plain", rendering_style=short)
    event = helpers.event(login, context={"header": "ignored", "login_time": "noon"})

    assert branded.render([event])[event][0] == "Acme: soon"
    assert plain.render([event])[event][0] == "ignored: noon"

    (both,) = load_contexts_and_renderers([event], [branded, plain])
    assert both.render(branded)[0] == "Acme: soon"
    assert both.render(plain)[0] == "ignored: noon"
    assert both.get_serialized_context(plain) == {"header": "ignored", "login_time": "noon"}


def test_the_observing_entity_is_available_to_templates(login, notification, short):
    helpers.renderer("observed", short, source=login, text_template="Hi {{ observing_entity }}")
    helpers.event(login)
    (event,) = Event.objects.load_contexts_and_renderers(notification)
    alice = helpers.entity("alice")

    assert event.render(notification, observing_entity=alice)[0] == "Hi alice"
    assert event.render(notification)[0] == "Hi"


# Errors.


def test_rendering_before_loading_is_refused(login, notification, login_renderer):
    event = login_event(login, "jeff", "noon")

    with pytest.raises(RuntimeError, match="'notification'"):
        event.render(notification)
    with pytest.raises(ContextNotLoadedError):
        event.get_serialized_context(notification)


def test_loading_for_one_medium_does_not_allow_rendering_on_another(login, notification, login_renderer):
    email = helpers.medium("email")
    login_event(login, "jeff", "noon")
    (event,) = Event.objects.load_contexts_and_renderers(notification)

    with pytest.raises(ContextNotLoadedError, match="'email'"):
        event.render(email)


def test_an_event_without_renderer_names_its_source_and_the_medium(login, notification):
    event = helpers.event(login)
    (loaded,) = Event.objects.load_contexts_and_renderers(notification)

    with pytest.raises(NoRendererError, match="'user-logged-in'.*'notification'") as from_event:
        loaded.render(notification)
    with pytest.raises(RuntimeError, match="'user-logged-in'.*'notification'"):
        notification.render([event])

    assert isinstance(from_event.value, RuntimeError)


# Serialized contexts.


def test_the_serialized_context_holds_hinted_rows_and_additional_context(login, short, login_renderer):
    email = helpers.medium("email", rendering_style=short, additional_context={"brand": "Acme"})
    jeff = User.objects.create(username="jeff")
    helpers.event(login, context={"user": jeff.pk, "login_time": "noon"})
    (event,) = Event.objects.load_contexts_and_renderers(email)

    serialized = event.get_serialized_context(email)

    assert json.loads(json.dumps(serialized)) == serialized
    assert serialized["user"]["username"] == "jeff"
    assert serialized["user"]["date_joined"] == jeff.date_joined.isoformat()
    assert serialized["login_time"] == "noon"
    assert serialized["brand"] == "Acme"


def test_an_event_without_renderer_still_has_a_serialized_context(login, notification):
    helpers.event(login, context={"user": 3, "when": "2015-01-01"})
    (event,) = Event.objects.load_contexts_and_renderers(notification)

    assert event.get_serialized_context(notification) == {"user": 3, "when": "2015-01-01"}


def test_a_renderer_serializes_a_context(login, short):
    renderer = helpers.renderer("plain", short, source=login)

    assert renderer.get_serialized_context({"data": '{"a": [1]}', "n": 2}) == {"data": {"a": [1]}, "n": 2}


# Sources of a renderer.


def test_a_renderer_lists_the_sources_it_renders(login, short):
    logout = helpers.source("user-logged-out", group="accounts")
    helpers.source("photo-tag", group="photos")

    assert helpers.renderer("one", short, source=login).get_sources() == [login]
    assert helpers.renderer("group", short, group="accounts").get_sources() == [login, logout]
    assert ContextRenderer(name="none", rendering_style=short).get_sources() == []
