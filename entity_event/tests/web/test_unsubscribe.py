"""Unsubscribe tokens, links and headers, and the page an unsubscribe link opens."""

import base64

import pytest
from django.contrib.sites.models import Site
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, modify_settings
from django.urls import reverse

import entity_event
from entity_event import unsubscribe as links
from entity_event.models import Unsubscription
from entity_event.tests import helpers
from entity_event.unsubscribe import (
    BadUnsubscribeToken,
    read_unsubscribe_token,
    unsubscribe_headers,
    unsubscribe_token,
    unsubscribe_url,
)

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def pair():
    """alice, receiving photo tags by email through her team."""
    red = helpers.entity("red", "team")
    alice = helpers.entity("alice", supers=[red])
    email, photo = helpers.medium("email"), helpers.source("photo-tag")
    helpers.subscribe(email, photo, red, sub_kind="user")
    return alice, email, photo


def page(token: str) -> str:
    return reverse("entity_event:unsubscribe", kwargs={"token": token})


def unsubscribed() -> list[tuple[str, str, str]]:
    return list(Unsubscription.objects.values_list("entity__display_name", "medium__name", "source__name"))


# Tokens.


def test_the_token_is_exported_from_the_package_and_reads_back(pair):
    assert entity_event.unsubscribe_token is unsubscribe_token
    assert "unsubscribe_token" in entity_event.__all__
    alice, email, photo = pair
    token = entity_event.unsubscribe_token(*pair)
    assert read_unsubscribe_token(token) == (alice, email, [photo])
    assert "/" not in token


def test_tokens_differ_for_each_entity_medium_and_source(pair):
    alice, email, photo = pair
    bob, newsfeed, login = helpers.entity("bob"), helpers.medium("newsfeed"), helpers.source("login")
    tokens = {
        unsubscribe_token(*names)
        for names in [pair, (bob, email, photo), (alice, newsfeed, photo), (alice, email, login)]
    }
    assert len(tokens) == 4


def foreign_tokens(pair) -> dict[str, str]:
    """Tokens this site must refuse for ``pair``."""
    alice, email, photo = pair
    token = unsubscribe_token(*pair)
    payload, signature = token.rsplit(":", 1)
    other = signing.Signer(salt=links.SALT).sign_object([alice.pk, email.pk, photo.pk + 1])
    return {
        "tampered": f"{other.rsplit(':', 1)[0]}:{signature}",
        "truncated": token[:-3],
        "no signature": payload,
        "other salt": signing.Signer(salt="another.app").sign_object([alice.pk, email.pk, photo.pk]),
        "other key": signing.Signer(key="another secret", salt=links.SALT).sign_object(
            [alice.pk, email.pk, photo.pk]
        ),
        "not three ids": signing.Signer(salt=links.SALT).sign_object({"entity": alice.pk}),
        "ids as text": signing.Signer(salt=links.SALT).sign_object([str(alice.pk), email.pk, photo.pk]),
        "deleted rows": other,
    }


def test_a_token_not_made_here_for_existing_rows_is_refused_naming_it(pair):
    for name, token in foreign_tokens(pair).items():
        with pytest.raises(BadUnsubscribeToken, match=f"unsubscribe token '{token}'"):
            read_unsubscribe_token(token)
        assert name


def signed_payloads() -> dict[str, str]:
    """Tokens signed here with the real salt whose payload is not ``[entity, medium, sources]`` ids."""
    signer = signing.Signer(salt=links.SALT)

    def raw(text: str) -> str:  # a payload as unsign_object reads it: base64 of JSON
        return signer.sign(base64.urlsafe_b64encode(text.encode()).decode().rstrip("="))

    return {
        "not base64 of JSON": signer.sign("abc"),
        "cut JSON": raw("[1, 2"),
        "JSON nested too deep": raw("[" * 100_000 + "]" * 100_000),
        "a number of 5000 digits": raw(f"[{'1' * 5000}, 1, 1]"),
        "not base64": signer.sign("abcde"),
        "not zlib": signer.sign("." + base64.urlsafe_b64encode(b"not zlib").decode()),
        "compressed, wrong shape": signer.sign_object(
            {"entity": 1} | {str(n): n for n in range(50)}, compress=True
        ),
        "NaN": raw("[NaN, 1, 1]"),
        "null": signer.sign_object(None),
        "text": signer.sign_object("1:1:1"),
        "a float": signer.sign_object([1.0, 1, 1]),
        "a flag": signer.sign_object([True, 1, 1]),
        "four ids": signer.sign_object([1, 1, 1, 1]),
        "two ids": signer.sign_object([1, 1]),
        "entity beyond 64 bits": signer.sign_object([2**63, 1, 1]),
        "medium beyond 64 bits": signer.sign_object([1, -(2**63) - 1, 1]),
        "source beyond 64 bits": signer.sign_object([1, 1, 10**30]),
        "a source of several beyond 64 bits": signer.sign_object([1, 1, [1, 10**30]]),
        "sources as an object": signer.sign_object([1, 1, {"1": 1}]),
        "source null": signer.sign_object([1, 1, None]),
    }


@pytest.mark.parametrize("name", signed_payloads())
def test_a_token_signed_here_with_a_malformed_payload_is_refused_naming_it(pair, name):
    token = signed_payloads()[name]

    with pytest.raises(BadUnsubscribeToken) as raised:
        read_unsubscribe_token(token)
    assert str(raised.value) == f"unsubscribe token {token!r} does not hold an entity, medium and source ids"
    with helpers.row_counts_unchanged():
        for response in (Client().get(page(token)), Client().post(page(token), ONE_CLICK)):
            assert response.status_code == 400
            assert "Invalid unsubscribe link" in response.content.decode()


def test_a_token_signed_with_an_old_secret_key_still_works(pair, settings):
    token = unsubscribe_token(*pair)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a new secret key", [settings.SECRET_KEY]
    assert read_unsubscribe_token(token) == (pair[0], pair[1], [pair[2]])


# Links and headers.


def test_links_and_headers_are_absolute_on_the_base_url(pair):
    url = unsubscribe_url(*pair)
    assert url == f"https://mail.example.com/notifications/unsubscribe/{unsubscribe_token(*pair)}/"
    assert unsubscribe_headers(*pair) == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert links.unsubscribe_links(*pair) == {
        "unsubscribe_url": url,
        "preferences_url": "https://mail.example.com/notifications/preferences/",
    }


def test_a_base_url_argument_wins_over_the_setting(pair):
    assert unsubscribe_url(*pair, base_url="http://localhost:8000/").startswith(
        "http://localhost:8000/notifications/unsubscribe/"
    )
    assert (
        links.preferences_url("https://other.example") == "https://other.example/notifications/preferences/"
    )


def test_links_without_a_base_url_are_on_https_and_the_current_sites_domain(pair, settings):
    settings.ENTITY_EVENT_BASE_URL = None
    Site.objects.clear_cache()

    assert links.preferences_url() == "https://example.com/notifications/preferences/"


def test_links_without_a_base_url_nor_the_sites_app_name_the_setting(pair, settings):
    settings.ENTITY_EVENT_BASE_URL = None
    with modify_settings(INSTALLED_APPS={"remove": "django.contrib.sites"}):
        with pytest.raises(ImproperlyConfigured, match="set ENTITY_EVENT_BASE_URL"):
            unsubscribe_headers(*pair)


def test_links_without_a_base_url_nor_a_site_id_name_the_setting(pair, settings):
    settings.ENTITY_EVENT_BASE_URL = None
    del settings.SITE_ID
    with pytest.raises(ImproperlyConfigured, match="set ENTITY_EVENT_BASE_URL"):
        unsubscribe_headers(*pair)


@pytest.mark.parametrize("base_url", ["example.com", "ftp://example.com", "https://", "/notifications"])
def test_a_base_url_without_scheme_and_host_is_refused_naming_it(pair, base_url):
    with pytest.raises(ValueError, match=f"base URL '{base_url}' must be an http"):
        unsubscribe_url(*pair, base_url=base_url)


# The page.


def test_get_shows_what_would_be_unsubscribed_and_changes_nothing(pair):
    token = unsubscribe_token(*pair)
    response = Client().get(page(token))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Stop sending Photo-Tag to alice by Email?" in html
    assert f'<form method="post" action="{page(token)}">' in html
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in html
    assert unsubscribed() == []


def test_a_one_click_post_unsubscribes_without_session_or_csrf_token_and_is_idempotent(pair):
    client = Client(enforce_csrf_checks=True)
    said = []
    for _ in range(2):
        response = client.post(page(unsubscribe_token(*pair)), ONE_CLICK)
        assert response.status_code == 200  # no redirect: mail programs may not follow one
        said.append(response.content.decode())
        assert unsubscribed() == [("alice", "email", "photo-tag")]
    assert "alice no longer gets Photo-Tag by Email." in said[0]
    assert "alice was already unsubscribed, and gets no Photo-Tag by Email." in said[1]


def test_a_used_link_says_it_was_used_instead_of_asking_again(pair):
    client = Client()
    client.post(page(unsubscribe_token(*pair)), ONE_CLICK)
    response = client.get(page(unsubscribe_token(*pair)))
    assert response.status_code == 200
    assert '<h1 id="unsubscribed">Already unsubscribed</h1>' in response.content.decode()
    assert 'id="confirm-unsubscribe"' not in response.content.decode()


def test_the_pages_style_their_buttons_inside_the_projects_layout(pair, settings, tmp_path):
    (tmp_path / "site.html").write_text("<div id='site'>{% block content %}{% endblock %}</div>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.ENTITY_EVENT_BASE_TEMPLATE = "site.html"
    html = Client().get(page(unsubscribe_token(*pair))).content.decode()
    assert html.startswith("<div id='site'>\n<style>\n  .entity-event button {")
    assert '<div class="entity-event">' in html


def test_the_one_click_body_may_be_url_encoded_as_well_as_multipart(pair):
    response = Client().post(
        page(unsubscribe_token(*pair)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert unsubscribed() == [("alice", "email", "photo-tag")]


@pytest.mark.parametrize("body", [{}, {"List-Unsubscribe": "Yes"}, {"one-click": "1"}])
def test_a_post_without_the_one_click_body_changes_nothing(pair, body):
    response = Client().post(page(unsubscribe_token(*pair)), body)
    assert response.status_code == 400
    assert "must be List-Unsubscribe=One-Click" in response.content.decode()
    assert unsubscribed() == []


def test_a_bad_token_gets_400_and_changes_nothing(pair):
    for token in foreign_tokens(pair).values():
        for response in (Client().get(page(token)), Client().post(page(token), ONE_CLICK)):
            assert response.status_code == 400
            assert "Invalid unsubscribe link" in response.content.decode()
    assert unsubscribed() == []


def test_other_methods_are_not_allowed(pair):
    assert Client().put(page(unsubscribe_token(*pair))).status_code == 405


# Links of several sources (those of a digest).


@pytest.fixture
def digest(pair):
    """alice's pair, and a second source she receives by email: sign-ins."""
    alice, email, photo = pair
    login = helpers.source("login")
    helpers.subscribe(email, login, alice)
    return alice, email, [photo, login]


def test_a_token_of_several_sources_reads_them_back_by_name(digest):
    alice, email, (photo, login) = digest
    token = unsubscribe_token(alice, email, [photo, login, photo])
    assert read_unsubscribe_token(token) == (alice, email, [login, photo])
    assert token == unsubscribe_token(alice, email, [login, photo])  # one token whatever the order


def test_a_token_of_one_source_in_a_list_is_the_single_source_token(pair):
    alice, email, photo = pair
    assert unsubscribe_token(alice, email, [photo]) == unsubscribe_token(alice, email, photo)


def test_a_link_needs_at_least_one_source(pair):
    alice, email, _photo = pair
    with pytest.raises(ValueError, match="at least one source"):
        unsubscribe_url(alice, email, [])


def test_get_lists_every_source_of_the_link_and_changes_nothing(digest):
    response = Client().get(page(unsubscribe_token(*digest)))
    assert response.status_code == 200
    assert "Stop sending Login, Photo-Tag to alice by Email?" in response.content.decode()
    assert unsubscribed() == []


def test_a_one_click_post_unsubscribes_from_every_source_of_the_link_idempotently(digest):
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        response = client.post(page(unsubscribe_token(*digest)), ONE_CLICK)
        assert response.status_code == 200
        assert "Login, Photo-Tag by Email." in response.content.decode()
        assert sorted(unsubscribed()) == [("alice", "email", "login"), ("alice", "email", "photo-tag")]


def test_a_link_of_several_sources_asks_until_every_one_is_stopped(digest):
    alice, email, (photo, login) = digest
    link = page(unsubscribe_token(*digest))
    Unsubscription.objects.create(entity=alice, medium=email, source=photo)
    assert "Stop sending Login, Photo-Tag to alice by Email?" in Client().get(link).text
    Unsubscription.objects.create(entity=alice, medium=email, source=login)
    assert "Already unsubscribed" in Client().get(link).text


def test_a_single_source_token_issued_before_digests_still_unsubscribes(pair):
    alice, email, photo = pair
    token = signing.Signer(salt=links.SALT).sign_object([alice.pk, email.pk, photo.pk])
    assert Client().post(page(token), ONE_CLICK).status_code == 200
    assert unsubscribed() == [("alice", "email", "photo-tag")]


def several_sources_tokens(digest) -> dict[str, str]:
    """Tokens of several sources this site must refuse for ``digest``."""
    alice, email, (photo, login) = digest
    token = unsubscribe_token(*digest)
    sign = signing.Signer(salt=links.SALT).sign_object
    other = sign([alice.pk, email.pk, [photo.pk, login.pk + 1]])
    return {
        "tampered": f"{other.rsplit(':', 1)[0]}:{token.rsplit(':', 1)[1]}",
        "truncated": token[:-3],
        "no sources": sign([alice.pk, email.pk, []]),
        "source ids as text": sign([alice.pk, email.pk, [str(photo.pk), login.pk]]),
        "nested lists": sign([alice.pk, email.pk, [[photo.pk], login.pk]]),
        "a deleted source": other,
    }


def test_a_bad_token_of_several_sources_gets_400_and_changes_nothing(digest):
    for token in several_sources_tokens(digest).values():
        with helpers.row_counts_unchanged():
            for response in (Client().get(page(token)), Client().post(page(token), ONE_CLICK)):
                assert response.status_code == 400
                assert "Invalid unsubscribe link" in response.content.decode()
    assert unsubscribed() == []
