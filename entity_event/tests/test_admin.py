"""The admin driven through the test client, as a staff member would use it."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from entity.models import Entity, EntityKind

from entity_event.admin import AdminEventForm, EntityAdmin, register_entity_admins
from entity_event.models import (
    AdminEvent,
    ContextRenderer,
    Delivery,
    Event,
    EventSeen,
    RenderingStyle,
    Subscription,
    never_expires,
)
from entity_event.tests import helpers

pytestmark = pytest.mark.django_db

ENTITY_EVENT_MODELS = [model for model in admin.site._registry if model._meta.app_label == "entity_event"]
READ_ONLY_MODELS = [Entity, EntityKind]


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
def test_staff_sees_every_changelist_and_change_page(admin_client, company, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    row = model._default_manager.first() if model is not Entity else Entity.all_objects.first()
    assert admin_client.get(admin_url(model, "change", row.pk)).status_code == 200


@pytest.mark.parametrize(
    "model", [m for m in ENTITY_EVENT_MODELS if m not in (Event, Delivery)], ids=lambda model: model.__name__
)
def test_staff_sees_every_add_page(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


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
    assert response.status_code == 200
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
    before = Event.objects.count()
    response = admin_client.post(admin_url(AdminEvent, "add"), {**announcement(company["source"]), **changes})
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field]
    assert Event.objects.count() == before


def test_announcements_are_listed_with_their_text_and_shown_read_only(admin_client, company):
    admin_client.post(admin_url(AdminEvent, "add"), announcement(company["source"], text="Pizza at noon"))
    listed = admin_client.get(admin_url(AdminEvent, "changelist"))
    assert "Pizza at noon" in listed.content.decode()
    created = AdminEvent.objects.get(context__text="Pizza at noon")
    shown = admin_client.get(admin_url(AdminEvent, "change", created.pk))
    assert "&quot;text&quot;: &quot;Pizza at noon&quot;" in shown.content.decode()
    assert admin_client.post(admin_url(AdminEvent, "change", created.pk), {"text": "x"}).status_code == 403


def test_the_announcement_form_saves_only_when_committing(company):
    form = AdminEventForm(announcement(company["source"], text="Hello"))
    assert form.is_valid()
    unsaved = form.save(commit=False)
    assert unsaved.pk is None
    assert not Event.objects.filter(context__text="Hello").exists()
    saved = form.save()
    assert saved.pk == Event.objects.get(context__text="Hello").pk
    assert isinstance(saved, AdminEvent)
