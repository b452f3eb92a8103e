"""The preferences page: listing the pairs of the request's entity and switching them."""

import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from entity_event.models import Unsubscription
from entity_event.tests import helpers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("entity_from_header_setting")]

URL = "/notifications/preferences/"


@pytest.fixture
def company():
    red = helpers.entity("red", "team")
    alice = helpers.entity("alice", supers=[red])
    newsfeed, email = helpers.medium("newsfeed"), helpers.medium("email")
    photo, login = helpers.source("photo-tag", group="social"), helpers.source("login", group="accounts")
    helpers.subscribe(newsfeed, photo, red, sub_kind="user", only_following=True)
    helpers.subscribe(email, login, alice)
    return {"red": red, "alice": alice, "newsfeed": newsfeed, "email": email, "photo": photo, "login": login}


def client_of(entity, **options) -> Client:
    return Client(headers={"X-Entity": str(entity.pk)}, **options)


def switch(entity, medium, source, receiving: str, client: Client | None = None):
    client = client or client_of(entity)
    return client.post(URL, {"medium": medium.pk, "source": source.pk, "receiving": receiving})


def unsubscribed(entity) -> list[tuple[str, str]]:
    return list(Unsubscription.objects.filter(entity=entity).values_list("medium__name", "source__name"))


def test_the_url_is_named():
    assert reverse("entity_event:preferences") == URL


def test_the_page_lists_each_pair_by_source_group_with_its_switch(company):
    helpers.unsubscribe(company["email"], company["login"], company["alice"])

    response = client_of(company["alice"]).get(URL)

    assert response.status_code == 200
    assert response.templates[0].name == "entity_event/preferences.html"
    assert response.templates[1].name == "entity_event/base.html"
    groups = response.context["source_groups"]
    assert [(group.name, [(p.medium.name, p.receiving) for p in pairs]) for group, pairs in groups] == [
        ("accounts", [("email", False)]),
        ("social", [("newsfeed", True)]),
    ]
    html = response.content.decode()
    assert html.index("<h2>Accounts</h2>") < html.index("Login by Email:") < html.index("<h2>Social</h2>")
    assert 'name="receiving" value="on">Turn on' in html
    assert 'name="receiving" value="off">Turn off' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(
    ("language", "says"),
    [
        (
            "fr",
            ["<h1>Paramètres de notification</h1>", "Login par Email :", 'value="on">Activer', "désactivé"],
        ),
        ("de-DE,de;q=0.9", ["<h1>Benachrichtigungseinstellungen</h1>", "Login per Email:", "Einschalten"]),
    ],
)
def test_the_page_speaks_the_language_the_browser_asks_for(company, language, says):
    helpers.unsubscribe(company["email"], company["login"], company["alice"])

    response = client_of(company["alice"], HTTP_ACCEPT_LANGUAGE=language).get(URL)

    page = html.unescape(response.content.decode())
    assert [text for text in says if text not in page] == []
    assert f'<html lang="{language[:2]}">' in page


def test_an_entity_without_subscriptions_is_told_so():
    response = client_of(helpers.entity("zoe")).get(URL)
    assert "You are not subscribed to anything." in response.content.decode()


def test_the_page_extends_the_template_of_the_setting(company, settings):
    settings.ENTITY_EVENT_BASE_TEMPLATE = "entity_event_tests/base.html"
    response = client_of(company["alice"]).get(URL)
    assert response.content.decode().startswith("<!-- the project's layout -->")


def test_a_request_for_nobody_is_forbidden(company):
    assert Client().get(URL).status_code == 403
    assert Client().post(URL, {"medium": 1, "source": 1, "receiving": "off"}).status_code == 403
    assert Unsubscription.objects.count() == 0


def test_switching_off_then_on_is_idempotent_and_returns_to_the_page(company):
    alice, email, login = company["alice"], company["email"], company["login"]

    for _ in range(2):
        response = switch(alice, email, login, "off")
        assert (response.status_code, response.url) == (302, URL)
        assert unsubscribed(alice) == [("email", "login")]
    for _ in range(2):
        assert switch(alice, email, login, "on").status_code == 302
        assert unsubscribed(alice) == []


def test_a_pair_of_a_group_subscription_switches_too(company):
    assert switch(company["alice"], company["newsfeed"], company["photo"], "off").status_code == 302
    assert unsubscribed(company["alice"]) == [("newsfeed", "photo-tag")]


def test_a_forged_pair_is_refused_and_changes_nothing(company):
    alice, bob = company["alice"], helpers.entity("bob")
    helpers.unsubscribe(company["email"], company["photo"], alice)  # not subscribed: stays as it is

    for medium, source, receiving in [
        (company["email"], company["photo"], "on"),
        (company["newsfeed"], company["login"], "off"),
    ]:
        response = switch(alice, medium, source, receiving)
        assert response.status_code == 400
        assert (
            f"not subscribed to source id {source.pk} on medium id {medium.pk}" in response.content.decode()
        )
    # bob may not switch alice's pair either: it is not his.
    assert switch(bob, company["email"], company["login"], "off").status_code == 400

    assert Unsubscription.objects.count() == 1
    assert unsubscribed(alice) == [("email", "photo-tag")]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"medium": "x", "source": "1", "receiving": "off"}, "medium"),
        ({"medium": "1", "receiving": "off"}, "source"),
        ({"medium": "1", "source": "1", "receiving": "maybe"}, "maybe is not one of the available choices"),
    ],
)
def test_a_malformed_switch_is_refused_naming_the_field(company, data, error):
    response = client_of(company["alice"]).post(URL, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Unsubscription.objects.count() == 0


@pytest.mark.parametrize("field", ["medium", "source"])
@pytest.mark.parametrize("bad", ["9" * 30, str(2**63), "²", "①", "-1", " 1", "1.0"])
def test_an_id_that_is_not_ascii_digits_within_64_bits_is_refused_naming_it(company, field, bad):
    data = {"medium": company["email"].pk, "source": company["login"].pk, "receiving": "off"} | {field: bad}

    with helpers.row_counts_unchanged():
        response = client_of(company["alice"]).post(URL, data)

    assert response.status_code == 400
    assert f"* {field}\n  * {bad!r} is not a whole number" in html.unescape(response.content.decode())


def test_switching_needs_the_csrf_token(company):
    client = client_of(company["alice"], enforce_csrf_checks=True)
    assert switch(company["alice"], company["email"], company["login"], "off", client).status_code == 403
    assert Unsubscription.objects.count() == 0

    page = client.get(URL)
    token = page.context["csrf_token"]
    data = {"medium": company["email"].pk, "source": company["login"].pk, "receiving": "off"}
    assert client.post(URL, {**data, "csrfmiddlewaretoken": str(token)}).status_code == 302
    assert unsubscribed(company["alice"]) == [("email", "login")]


def test_other_methods_are_not_allowed(company):
    assert client_of(company["alice"]).put(URL).status_code == 405


def test_a_page_load_costs_the_same_queries_whatever_the_number_of_pairs(company):
    alice = company["alice"]
    client = client_of(alice)

    def grow(size: int) -> None:
        for number in range(size):
            team = helpers.entity(f"team-{size}-{number}", "team")
            alice.super_relationships.create(super_entity=team)
            medium = helpers.medium(f"medium-{size}-{number}")
            source = helpers.source(f"source-{size}-{number}", group=f"group-{size}-{number}")
            helpers.subscribe(medium, source, team, sub_kind="user", only_following=number % 2 == 0)
            helpers.subscribe(medium, company["photo"], alice)
            helpers.unsubscribe(medium, source, alice)

    counts = []
    for size in (1, 8):
        grow(size)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL)
        counts.append((len(captured), response.content.decode().count('class="preference"')))
    assert counts[0][0] == counts[1][0]
    assert [pairs for _queries, pairs in counts] == [2 + 2 * 1, 2 + 2 * (1 + 8)]
