"""The admin driven through the test client, as a staff member would use it."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from entity.models import Entity, EntityKind

from entity_event.admin import (
    ANNOUNCEMENT_UUID_PREFIX,
    REACH_PAGE_SIZE,
    RECIPIENTS_SHOWN,
    AdminEventForm,
    EntityAdmin,
    EventAdmin,
    event_label,
    register_entity_admins,
)
from entity_event.models import (
    AdminEvent,
    ContextRenderer,
    Delivery,
    Event,
    EventActor,
    EventSeen,
    Medium,
    RenderingStyle,
    Subscription,
    never_expires,
)
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db

ENTITY_EVENT_MODELS = [model for model in admin.site._registry if model._meta.app_label == "entity_event"]
READ_ONLY_MODELS = [Entity, EntityKind]


@pytest.fixture(autouse=True)
def announcements_to_any_source(settings):
    """The development settings offer the demo's announcement source only; these tests post to any."""
    settings.ENTITY_EVENT_ANNOUNCEMENT_SOURCES = None


@pytest.fixture
def company():
    """One of every model, so that each change page has a row to show."""
    team = helpers.entity("Team", "team")
    alice = helpers.entity("Alice", supers=[team])
    source = helpers.source("photo-tag")
    medium = helpers.medium("newsfeed")
    style = RenderingStyle.objects.create(name="short", display_name="Short")
    medium.rendering_style = style
    medium.save()
    ContextRenderer.objects.create(name="photo-tag short", source=source, rendering_style=style)
    helpers.subscribe(medium, source, team, sub_kind="user")
    helpers.unsubscribe(medium, source, alice)
    event = helpers.event(source, actors=[alice], context={"photo": {"caption": "Lake"}, "tags": ["x"]})
    EventSeen.objects.create(event=event, medium=medium)
    Delivery.objects.create(event=event, medium=medium, entity=alice)
    return {"alice": alice, "source": source, "medium": medium, "event": event}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_entity_event_model_is_registered():
    names = {model.__name__ for model in ENTITY_EVENT_MODELS}
    assert names == {
        "AdminEvent",
        "ContextRenderer",
        "Delivery",
        "Event",
        "EventActor",
        "EventSeen",
        "Medium",
        "RenderingStyle",
        "Source",
        "SourceGroup",
        "Subscription",
        "Unsubscription",
    }


def test_a_project_can_keep_its_own_entity_admin():
    class ProjectEntityAdmin(admin.ModelAdmin):
        search_fields = ("display_name", "entity_meta")

    site = admin.AdminSite(name="project")
    site.register(Entity, ProjectEntityAdmin)
    register_entity_admins(site)
    assert type(site.get_model_admin(Entity)) is ProjectEntityAdmin
    assert type(site.get_model_admin(EntityKind)).__name__ == "EntityKindAdmin"
    assert type(admin.site.get_model_admin(Entity)) is EntityAdmin


@pytest.mark.parametrize("model", ENTITY_EVENT_MODELS + READ_ONLY_MODELS, ids=lambda model: model.__name__)
def test_staff_finds_every_row_listed_and_opens_it(admin_client, company, model):
    helpers.event(company["source"], context={"text": "Office closed"}, uuid=f"{ANNOUNCEMENT_UUID_PREFIX}1")
    rows = admin.site.get_model_admin(model).get_queryset(RequestFactory().get("/"))
    row = rows.first()

    listed = admin_client.get(admin_url(model, "changelist"))
    assert listed.context["cl"].result_count == rows.count()
    assert f'href="{admin_url(model, "change", row.pk)}"' in listed.content.decode()

    opened = admin_client.get(admin_url(model, "change", row.pk))
    assert opened.context["original"] == row
    title = event_label(row) if isinstance(row, Event) else row  # events are named readably
    assert f"<h2>{escape(title)}</h2>" in opened.content.decode()


#: What staff fill in to add a row of each model, in the order the add page shows it.
ADD_FORM_FIELDS = {
    "AdminEvent": ["source", "text", "expires"],
    "ContextRenderer": [
        "name",
        "rendering_style",
        "source",
        "source_group",
        "text_template_path",
        "html_template_path",
        "text_template",
        "html_template",
        "group_text_template_path",
        "group_html_template_path",
        "group_text_template",
        "group_html_template",
        "context_hints",
    ],
    "EventActor": ["event", "entity"],
    "EventSeen": ["event", "medium", "time_seen"],
    "Medium": ["name", "display_name", "description", "rendering_style", "additional_context"],
    "RenderingStyle": ["name", "display_name"],
    "Source": ["name", "display_name", "description", "group", "group_by"],
    "SourceGroup": ["name", "display_name", "description"],
    "Subscription": ["medium", "source", "entity", "sub_entity_kind", "only_following"],
    "Unsubscription": ["entity", "medium", "source"],
}


@pytest.mark.parametrize(
    "model", [m for m in ENTITY_EVENT_MODELS if m not in (Event, Delivery)], ids=lambda model: model.__name__
)
def test_staff_gets_a_form_to_add_a_row(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))
    page = response.content.decode()
    expected = ADD_FORM_FIELDS[model.__name__]
    assert list(response.context["adminform"].form.fields) == expected
    # A split date and time field shows two inputs, id_<name>_0 and id_<name>_1.
    positions = [re.search(f'id="id_{name}(_0)?"', page).start() for name in expected]
    assert positions == sorted(positions)
    assert '<input type="submit" value="Save"' in page


@pytest.mark.parametrize("model", [Event, Delivery, *READ_ONLY_MODELS], ids=lambda model: model.__name__)
def test_events_and_entities_cannot_be_added_by_hand(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda model: model.__name__)
def test_entities_are_shown_but_not_changed_or_deleted(admin_client, company, model):
    row = model._default_manager.first()
    response = admin_client.post(admin_url(model, "change", row.pk), {"display_name": "Renamed"})
    assert response.status_code == 403
    assert admin_client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=row.pk, display_name=row.display_name).exists()


@pytest.mark.parametrize("model", ENTITY_EVENT_MODELS + READ_ONLY_MODELS, ids=lambda model: model.__name__)
def test_anonymous_visitors_are_sent_to_the_login(client, model):
    for view in ("changelist", "add"):
        url = admin_url(model, view)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_event_page_shows_the_context_as_indented_json_with_actors_and_seen_marks(admin_client, company):
    response = admin_client.get(admin_url(Event, "change", company["event"].pk))
    page = response.content.decode()
    assert "&quot;photo&quot;: {\n    &quot;caption&quot;: &quot;Lake&quot;\n  }" in page
    assert "Alice" in page  # the actor inline
    assert "Newsfeed" in page  # the seen inline


def test_event_list_counts_actors_and_filters_by_source(admin_client, company):
    other = helpers.source("login")
    helpers.event(other)
    response = admin_client.get(admin_url(Event, "changelist"), {"source__id__exact": company["source"].pk})
    rows = list(response.context["cl"].result_list)
    assert [(row.source, row.actor_count) for row in rows] == [(company["source"], 1)]


def test_event_list_shows_a_short_text_never_for_no_expiry_and_searches_the_context(admin_client, company):
    expiring = helpers.event(
        company["source"], context={"text": "Lunch " * 30}, time_expires=timezone.now() + timedelta(days=1)
    )

    response = admin_client.get(admin_url(Event, "changelist"))
    page = response.content.decode()
    rows = {row.pk: row for row in response.context["cl"].result_list}
    assert EventAdmin.summary(None, rows[expiring.pk]) == ("Lunch " * 14)[:79] + "…"
    assert (
        EventAdmin.summary(None, rows[company["event"].pk]) == '{"photo": {"caption": "Lake"}, "tags": ["x"]}'
    )
    assert '<td class="field-expires">never</td>' in page and "9999" not in page
    assert EventAdmin.expires(None, rows[expiring.pk]) == rows[expiring.pk].time_expires
    found = admin_client.get(admin_url(Event, "changelist"), {"q": "lake"}).context["cl"].result_list
    assert list(found) == [company["event"]]


def test_event_actors_have_their_own_list_searching_entities(admin_client, company):
    response = admin_client.get(admin_url(EventActor, "changelist"), {"q": "alice"})
    assert [(actor.event, actor.entity) for actor in response.context["cl"].result_list] == [
        (company["event"], company["alice"])
    ]


@pytest.mark.parametrize("model", [EventActor, EventSeen, Delivery], ids=lambda model: model.__name__)
def test_lists_name_events_by_source_and_minute(admin_client, company, model):
    company["event"].time = datetime(2026, 12, 3, 6, 57, 37, tzinfo=UTC)
    company["event"].save()
    with timezone.override("Europe/Paris"):
        page = admin_client.get(admin_url(model, "changelist")).text
    shown = "07:57" if settings.USE_TZ else "06:57"  # in Paris; without time zones, as stored
    assert re.search(
        rf'class="field-event_label"><a href="[^"]+">Photo-Tag, 2026-12-03 {shown}</a></th>', page
    )


def test_rendering_styles_are_named_by_their_display_name(admin_client, company):
    helpers.medium("email")  # on the default style
    listed = admin_client.get(admin_url(Medium, "changelist")).text
    form = admin_client.get(admin_url(Medium, "add")).text
    assert '<td class="field-style">Short</td>' in listed and '<td class="field-style">-</td>' in listed
    assert re.search(r'rendering_style__id__exact=\d+">Short</a>', listed)
    assert re.search(r'<option value="\d+">Short</option>', form)
    assert "Short short" not in listed + form


def test_the_delivery_list_shows_each_status_with_its_attempts_and_when(admin_client, company):
    moment = datetime(2026, 12, 3, 6, 57, tzinfo=UTC)
    Delivery.objects.update(attempts=1, time_next_attempt=moment)
    event, medium = company["event"], company["medium"]
    sent = {"status": "sent", "attempts": 2, "time_sent": moment}
    Delivery.objects.create(event=event, medium=medium, entity=helpers.entity("Bob"), **sent)
    failed = {"status": "failed", "attempts": 5, "time_next_attempt": moment}
    Delivery.objects.create(event=event, medium=medium, entity=helpers.entity("Carol"), **failed)
    due = {"time_next_attempt": moment}
    Delivery.objects.create(event=event, medium=medium, entity=helpers.entity("Dave"), **due)

    with timezone.override("UTC"):
        page = admin_client.get(admin_url(Delivery, "changelist")).text

    shown = re.findall(r'"field-entity nowrap">(\w+)</td><td class="field-state">([^<]*)</td>', page)
    assert sorted(shown) == [
        ("Alice", "pending after 1 attempt, next 2026-12-03 06:57"),
        ("Bob", "sent 2026-12-03 06:57"),
        ("Carol", "failed after 5 attempts"),
        ("Dave", "pending, next 2026-12-03 06:57"),  # not tried yet
    ]


def test_the_delivery_list_cuts_a_long_error_short(admin_client, company):
    Delivery.objects.update(last_error=f"SMTPRecipientsRefused: {'x' * 200}\nTraceback")
    page = admin_client.get(admin_url(Delivery, "changelist")).text
    assert f'<td class="field-error">SMTPRecipientsRefused: {"x" * 36}…</td>' in page


def test_the_announcement_form_offers_the_sources_of_the_setting_only(admin_client, company, settings):
    settings.ENTITY_EVENT_ANNOUNCEMENT_SOURCES = ["announcement"]
    announcements = helpers.source("announcement")
    form = admin_client.get(admin_url(AdminEvent, "add")).context["adminform"].form
    assert list(form.fields["source"].queryset) == [announcements]
    refused = admin_client.post(admin_url(AdminEvent, "add"), announcement(company["source"]))
    assert "source" in refused.context["adminform"].form.errors
    assert admin_client.post(admin_url(AdminEvent, "add"), announcement(announcements)).status_code == 302


def test_subscription_list_shows_who_gets_what_and_searches_entities(admin_client, company):
    response = admin_client.get(admin_url(Subscription, "changelist"), {"q": "team"})
    changelist = response.context["cl"]
    assert changelist.list_display[1:] == ["medium", "source", "entity", "sub_entity_kind", "only_following"]
    assert [str(row.entity) for row in changelist.result_list] == ["Team"]
    nobody = admin_client.get(admin_url(Subscription, "changelist"), {"q": "nobody"})
    assert nobody.context["cl"].result_count == 0


def test_subscription_form_picks_the_entity_by_autocomplete(admin_client, company):
    page = admin_client.get(admin_url(Subscription, "add")).content.decode()
    assert 'class="admin-autocomplete' in page
    assert "Alice" not in page  # no list of every entity in the page


@pytest.mark.parametrize(
    ("field", "term", "found"), [("entity", "ali", ["Alice"]), ("sub_entity_kind", "tea", ["Team"])]
)
def test_autocomplete_finds_entities_and_kinds_by_name(admin_client, company, field, term, found):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "entity_event", "model_name": "subscription", "field_name": field, "term": term},
    )
    assert [result["text"] for result in response.json()["results"]] == found


def test_adding_a_subscription_through_the_admin(admin_client, company):
    response = admin_client.post(
        admin_url(Subscription, "add"),
        {
            "medium": company["medium"].pk,
            "source": company["source"].pk,
            "entity": company["alice"].pk,
            "sub_entity_kind": "",
            "only_following": "on",
        },
    )
    assert response.status_code == 302
    assert Subscription.objects.filter(entity=company["alice"], only_following=True).count() == 1


def announcement(source, text="Office closed on Friday", **expires) -> dict:
    return {"source": source.pk, "text": text, "expires_0": "", "expires_1": "", **expires}


def test_an_announcement_stores_its_text_as_the_context(admin_client, company):
    response = admin_client.post(admin_url(AdminEvent, "add"), announcement(company["source"]))
    assert response.status_code == 302
    event = Event.objects.exclude(pk=company["event"].pk).get()
    assert event.context == {"text": "Office closed on Friday"}
    assert event.source == company["source"]
    assert event.time_expires == never_expires()
    assert event.uuid
    assert response["Location"] == admin_url(AdminEvent, "changelist")


def test_an_announcement_can_expire(admin_client, company):
    when = timezone.now() + timedelta(days=3)
    data = announcement(company["source"], expires_0=f"{when:%Y-%m-%d}", expires_1="17:30:00")
    admin_client.post(admin_url(AdminEvent, "add"), data)
    event = Event.objects.exclude(pk=company["event"].pk).get()
    assert event.time_expires == when.replace(hour=17, minute=30, second=0, microsecond=0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": ""}, "text", "This field is required."),
        ({"text": "   "}, "text", "This field is required."),
        ({"source": ""}, "source", "This field is required."),
        ({"expires_0": "2001-01-01", "expires_1": "10:00"}, "expires", "The expiry must lie in the future."),
        ({"expires_0": "2999-01-01"}, "expires", "Enter a valid time."),
    ],
)
def test_a_bad_announcement_is_a_form_error_and_stores_nothing(
    admin_client, company, changes, field, message
):
    with helpers.row_counts_unchanged():
        response = admin_client.post(
            admin_url(AdminEvent, "add"), {**announcement(company["source"]), **changes}
        )
    assert response.context["adminform"].form.errors[field] == [message]
    assert (
        f'<ul class="errorlist" id="id_{field}_error"><li>{escape(message)}</li></ul>'
        in response.content.decode()
    )


def test_announcements_are_listed_with_their_text_and_shown_read_only(admin_client, company):
    admin_client.post(admin_url(AdminEvent, "add"), announcement(company["source"], text="Pizza at noon"))
    listed = admin_client.get(admin_url(AdminEvent, "changelist"))
    assert "Pizza at noon" in listed.content.decode()
    created = AdminEvent.objects.get(context__text="Pizza at noon")
    shown = admin_client.get(admin_url(AdminEvent, "change", created.pk))
    assert "&quot;text&quot;: &quot;Pizza at noon&quot;" in shown.content.decode()
    assert admin_client.post(admin_url(AdminEvent, "change", created.pk), {"text": "x"}).status_code == 403


def test_the_announcement_list_shows_announcements_only(admin_client, company):
    admin_client.post(admin_url(AdminEvent, "add"), announcement(company["source"], text="Pizza at noon"))
    response = admin_client.get(admin_url(AdminEvent, "changelist"))
    listed = [event.context for event in response.context["cl"].result_list]
    assert listed == [{"text": "Pizza at noon"}]
    assert '<td class="field-expires">never</td>' in response.content.decode()


def test_the_announcement_form_saves_only_when_committing(company):
    form = AdminEventForm(announcement(company["source"], text="Hello"))
    assert form.is_valid()
    unsaved = form.save(commit=False)
    assert unsaved.pk is None
    assert not Event.objects.filter(context__text="Hello").exists()
    saved = form.save()
    assert saved.pk == Event.objects.get(context__text="Hello").pk
    assert isinstance(saved, AdminEvent)


def medium_form(medium, **changes) -> dict:
    return {
        "name": medium.name,
        "display_name": medium.display_name,
        "description": medium.description,
        "rendering_style": medium.rendering_style_id or "",
        "additional_context": "",
        **changes,
    }


@pytest.mark.parametrize("typed", ["[1, 2]", '"Example Corp"', "7"])
def test_an_additional_context_that_is_not_an_object_is_a_form_error_naming_it(admin_client, company, typed):
    newsfeed = company["medium"]
    with helpers.row_counts_unchanged():
        added = admin_client.post(
            admin_url(Medium, "add"), medium_form(newsfeed, name="email", additional_context=typed)
        )
        changed = admin_client.post(
            admin_url(Medium, "change", newsfeed.pk), medium_form(newsfeed, additional_context=typed)
        )

    message = f"The additional context must be a JSON object of names and values, not {typed}."
    for response in (added, changed):
        assert response.context["adminform"].form.errors["additional_context"] == [message]
        assert escape(message) in response.content.decode()
    assert Medium.objects.get(pk=newsfeed.pk).additional_context is None


def test_an_additional_context_object_is_saved(admin_client, company):
    newsfeed = company["medium"]
    form = medium_form(newsfeed, additional_context='{"site": "Example Corp"}')
    admin_client.post(admin_url(Medium, "change", newsfeed.pk), form)
    assert Medium.objects.get(pk=newsfeed.pk).additional_context == {"site": "Example Corp"}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ('["user"]', 'The context hints must be a JSON object mapping context keys to hints, not ["user"].'),
        (
            '{"user": {"app_name": "auth", "model_name": "Nobody"}}',
            'The hint of "user", {"app_name": "auth", "model_name": "Nobody"}, names no installed model.',
        ),
    ],
)
def test_malformed_context_hints_are_a_form_error_naming_them(admin_client, company, typed, message):
    form = {
        "name": "email-login",
        "rendering_style": RenderingStyle.objects.get(name="short").pk,
        "source": company["source"].pk,
        "context_hints": typed,
    }
    with helpers.row_counts_unchanged():
        response = admin_client.post(admin_url(ContextRenderer, "add"), form)
    assert response.context["adminform"].form.errors["context_hints"] == [message]
    assert escape(message) in response.content.decode()


HINT_OF_USER = 'L’indication de "user", {"app_name": "auth", "model_name": '


@pytest.mark.parametrize(
    ("typed", "french"),
    [
        (
            '["user"]',
            "Les indications de contexte doivent être un objet JSON associant des clés du contexte à des"
            ' indications, pas ["user"].',
        ),
        ('{"user": 1}', 'L’indication de "user", 1, doit être un objet avec un app_name et un model_name.'),
        (
            '{"user": {"app_name": "auth", "model_name": "User", "x": 1}}',
            HINT_OF_USER + '"User", "x": 1}, a des clés inconnues (x) ; une indication peut contenir'
            " app_name, model_name, select_related, prefetch_related, fields.",
        ),
        (
            '{"user": {"app_name": 1, "model_name": "User"}}',
            'L’indication de "user", {"app_name": 1, "model_name": "User"}, doit nommer un modèle par un'
            " app_name et un model_name textuels.",
        ),
        (
            '{"user": {"app_name": "auth", "model_name": "Nobody"}}',
            HINT_OF_USER + '"Nobody"}, ne nomme aucun modèle installé.',
        ),
        (
            '{"user": {"app_name": "auth", "model_name": "User", "fields": 1}}',
            HINT_OF_USER + '"User", "fields": 1}, a un fields qui n’est pas une liste de noms : 1.',
        ),
        (
            '{"user": {"app_name": "auth", "model_name": "User", "select_related": "x"}}',
            HINT_OF_USER + '"User", "select_related": "x"}, a la relation select_related "x", que le modèle'
            " refuse : Invalid field name(s) given in select_related: 'x'. Choices are: (none)",
        ),
    ],
)
def test_malformed_context_hints_read_in_the_language_asked_for(admin_client, company, typed, french):
    form = {
        "name": "email-login",
        "rendering_style": RenderingStyle.objects.get(name="short").pk,
        "source": company["source"].pk,
        "context_hints": typed,
    }

    response = admin_client.post(admin_url(ContextRenderer, "add"), form, HTTP_ACCEPT_LANGUAGE="fr")

    assert escape(french) in response.content.decode()


def test_an_additional_context_that_is_not_an_object_reads_in_the_language_asked_for(admin_client, company):
    newsfeed = company["medium"]
    form = medium_form(newsfeed, additional_context="[1]")

    response = admin_client.post(admin_url(Medium, "change", newsfeed.pk), form, HTTP_ACCEPT_LANGUAGE="de")

    german = "Der zusätzliche Kontext muss ein JSON-Objekt aus Namen und Werten sein, nicht [1]."
    assert escape(german) in response.content.decode()


@pytest.mark.parametrize(
    ("context", "shown"),
    [(["a", "list"], '["a", "list"]'), ("just text", '"just text"'), ({"title": "no text"}, "")],
)
def test_events_whose_context_is_not_an_announcement_are_listed_and_shown(
    admin_client, company, context, shown
):
    """Contexts that are no object (``Event.objects.create``, 3.x) are listed and shown, not a 500 page."""
    stored = Event.objects.create(
        source=company["source"], context=context, uuid=f"{ANNOUNCEMENT_UUID_PREFIX}from-3.x"
    )

    listed = admin_client.get(admin_url(AdminEvent, "changelist"))
    [row] = [row for row in listed.context["cl"].result_list if row.pk == stored.pk]
    assert listed.context["cl"].model_admin.text(row) == shown
    assert escape(shown) in listed.content.decode()

    for model in (AdminEvent, Event):
        opened = admin_client.get(admin_url(model, "change", stored.pk))
        assert escape(json.dumps(context, indent=2)) in opened.content.decode()


def test_saving_the_many_to_many_data_of_an_announcement_stores_nothing(company):
    """3.x's form had ``save_m2m`` as a public method that does nothing; code may still call it."""
    events_before = Event.objects.count()
    form = AdminEventForm(announcement(company["source"], text="Hello"))

    assert form.save_m2m() is None
    assert Event.objects.count() == events_before


# Previews: whom a subscription reaches, whom an event reaches.


def team_of(size: int, inactive: int = 0, suffix: str = ""):
    """A team of ``size`` active users (``member-00``, ...) and ``inactive`` inactive ones, subscribed
    as a group to photo tags on the newsfeed; the first two members unsubscribed. ``suffix``
    names a second team, medium and source."""
    team = helpers.entity(f"Team{suffix}", "team")
    members = [helpers.entity(f"member-{n:02}{suffix}", supers=[team]) for n in range(size)]
    for n in range(inactive):
        helpers.entity(f"gone-{n}", supers=[team], is_active=False)
    newsfeed, photo = helpers.medium(f"newsfeed{suffix}"), helpers.source(f"photo-tag{suffix}")
    subscription = helpers.subscribe(newsfeed, photo, team, sub_kind="user")
    for member in members[:2]:
        helpers.unsubscribe(newsfeed, photo, member)
    return subscription, members


def test_a_subscription_page_shows_whom_it_reaches_now_and_who_unsubscribed(admin_client):
    subscription, members = team_of(3, inactive=1)

    response = admin_client.get(admin_url(Subscription, "change", subscription.pk))

    reach = response.context["reach"]
    assert (reach["reached"], reach["unsubscribed"]) == (3, 2)
    assert [(entity.display_name, entity.unsubscribed) for entity in reach["page"]] == [
        ("member-00", True),
        ("member-01", True),
        ("member-02", False),
    ]
    assert "Reaches 3 entities now; 2 of them unsubscribed from Photo-Tag on Newsfeed." in response.text
    assert "gone-0" not in response.text


def test_the_reach_of_a_large_group_is_paged_and_a_bad_page_number_shows_a_page(admin_client):
    subscription, members = team_of(REACH_PAGE_SIZE + 10)
    url = admin_url(Subscription, "change", subscription.pk)

    second = admin_client.get(url, {"reach_page": "2"}).context["reach"]["page"]
    assert [entity.display_name for entity in second] == [member.display_name for member in members[-10:]]
    assert (second.number, second.paginator.num_pages) == (2, 2)
    assert admin_client.get(url, {"reach_page": "abc"}).context["reach"]["page"].number == 1
    assert admin_client.get(url, {"reach_page": "99"}).context["reach"]["page"].number == 2


def test_an_only_following_subscription_says_so(admin_client):
    subscription, _ = team_of(1)
    Subscription.objects.filter(pk=subscription.pk).update(only_following=True)

    response = admin_client.get(admin_url(Subscription, "change", subscription.pk))

    assert "Only following: each receives only the events of those it follows." in response.text


def page_queries(admin_client, url: str) -> int:
    admin_client.get(url)  # the session and permissions cached as on any later page
    with CaptureQueriesContext(connection) as page:
        assert admin_client.get(url).status_code == 200
    return len(page)


def test_a_subscription_page_costs_the_same_queries_for_a_small_and_a_large_group(admin_client):
    small, _ = team_of(3)
    small_queries = page_queries(admin_client, admin_url(Subscription, "change", small.pk))

    large, _ = team_of(REACH_PAGE_SIZE * 3, suffix="-large")
    assert page_queries(admin_client, admin_url(Subscription, "change", large.pk)) == small_queries


def test_an_event_page_shows_its_recipients_on_each_medium(admin_client):
    subscription, members = team_of(3)
    email = helpers.medium("email")
    helpers.subscribe(email, subscription.source, members[0], only_following=True)
    helpers.subscribe(helpers.medium("unused"), helpers.source("login"), members[0])
    event = helpers.event(subscription.source, actors=[members[1]])

    response = admin_client.get(admin_url(Event, "change", event.pk))

    # By email, member-00 receives only the events of those it follows: not this one.
    previews = {
        str(preview["medium"]): (preview["count"], [entity.display_name for entity, _ in preview["rows"]])
        for preview in response.context["recipients"]
    }
    assert previews == {"Email": (0, []), "Newsfeed": (1, ["member-02"])}
    assert "Reaches 1 entity." in response.text


def test_an_event_page_shows_the_first_recipients_by_name_and_their_number(admin_client):
    subscription, members = team_of(RECIPIENTS_SHOWN + 5)
    event = helpers.event(subscription.source)

    (preview,) = admin_client.get(admin_url(Event, "change", event.pk)).context["recipients"]

    assert preview["count"] == RECIPIENTS_SHOWN + 3
    assert [entity for entity, _ in preview["rows"]] == members[2 : RECIPIENTS_SHOWN + 2]
    assert f"Reaches {RECIPIENTS_SHOWN + 3} entities; the first {RECIPIENTS_SHOWN} by name." in (
        admin_client.get(admin_url(Event, "change", event.pk)).text
    )


def test_an_event_of_a_source_no_medium_subscribes_says_so(admin_client):
    event = helpers.event(helpers.source("login"))

    response = admin_client.get(admin_url(Event, "change", event.pk))

    assert response.context["recipients"] == []
    assert "No medium subscribes to Login." in response.text


def test_an_event_page_costs_the_same_queries_for_a_small_and_a_large_group(admin_client):
    small, _ = team_of(3)
    small_queries = page_queries(admin_client, admin_url(Event, "change", helpers.event(small.source).pk))

    large, _ = team_of(RECIPIENTS_SHOWN * 3, suffix="-large")
    event = helpers.event(large.source)
    assert page_queries(admin_client, admin_url(Event, "change", event.pk)) == small_queries
