"""The inbox's JSON endpoints, driven through the test client."""

import base64
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponseForbidden
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from entity_event.models import Event, InboxMark, InboxWatermark
from entity_event.tests import helpers
from entity_event.tests.web.test_entity import mirror
from entity_event.web.inbox_views import encode_cursor

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Alice and Bob, who receive photo tags and products on the newsfeed."""
    users = {name: User.objects.create_user(name) for name in ("alice", "bob")}
    entities = {name: mirror(user) for name, user in users.items()}
    short = helpers.style("short")
    newsfeed = helpers.medium("newsfeed", rendering_style=short)
    sources = [helpers.source("photo-tag"), helpers.source("product")]
    for source in sources:
        for user_entity in entities.values():
            helpers.subscribe(newsfeed, source, user_entity)
        helpers.renderer(
            f"{source.name}, short",
            short,
            source=source,
            text_template=f"{source.name} {{{{ n }}}}",
            html_template=f"<b>{source.name}</b> {{{{ n }}}}",
        )
    return {"users": users, "entities": entities, "newsfeed": newsfeed, "sources": sources}


def add_events(world, count: int) -> list[Event]:
    """``count`` events, one a minute, oldest first, alternating sources, each with actors."""
    now = timezone.now()
    actors = list(world["entities"].values())
    return [
        helpers.event(
            world["sources"][n % 2], actors=actors, time=now - timedelta(minutes=count - n), context={"n": n}
        )
        for n in range(count)
    ]


def url(name: str, medium: str = "newsfeed") -> str:
    return reverse(f"entity_event:inbox_{name}", kwargs={"medium_name": medium})


def signed_in(client, world, name: str = "alice"):
    client.force_login(world["users"][name])
    return client


def post_json(client, data, medium: str = "newsfeed"):
    return client.post(url("mark_seen", medium), json.dumps(data), content_type="application/json")


def test_a_page_of_events_rendered_newest_first_with_read_state(client, world):
    events = add_events(world, 3)
    world["newsfeed"].inbox(world["entities"]["alice"]).mark_seen(events[1])

    response = signed_in(client, world).get(url("events"))

    assert response.status_code == 200
    assert response.json() == {
        "events": [
            {
                "id": event.pk,
                "time": event.time.isoformat(),
                "source": {"name": event.source.name, "display_name": event.source.display_name},
                "text": f"{event.source.name} {n}",
                "html": f"<b>{event.source.name}</b> {n}",
                "seen": n == 1,
            }
            for n, event in reversed(list(enumerate(events)))
        ],
        "next": None,
    }


def test_pages_follow_the_cursor_to_the_end(client, world):
    events = add_events(world, 5)
    client = signed_in(client, world)

    ids, cursor = [], None
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "before": cursor}
        body = client.get(url("events"), params).json()
        ids.append([event["id"] for event in body["events"]])
        cursor = body["next"]
        if cursor is None:
            break

    assert ids == [[events[4].pk, events[3].pk], [events[2].pk, events[1].pk], [events[0].pk]]


def test_events_of_the_same_instant_are_paged_by_id(client, world):
    now = timezone.now()
    same = [helpers.event(world["sources"][0], time=now, context={"n": n}) for n in range(3)]
    client = signed_in(client, world)

    first = client.get(url("events"), {"limit": 2}).json()
    second = client.get(url("events"), {"limit": 2, "before": first["next"]}).json()

    assert [event["id"] for event in first["events"] + second["events"]] == [e.pk for e in reversed(same)]


def test_the_seen_parameter_keeps_seen_or_unseen_events(client, world):
    events = add_events(world, 3)
    world["newsfeed"].inbox(world["entities"]["alice"]).mark_seen(events[0])
    client = signed_in(client, world)

    unseen = client.get(url("events"), {"seen": "false"}).json()["events"]
    seen = client.get(url("events"), {"seen": "true"}).json()["events"]

    assert [event["id"] for event in unseen] == [events[2].pk, events[1].pk]
    assert [event["id"] for event in seen] == [events[0].pk]


def test_the_unseen_count(client, world):
    add_events(world, 4)
    client = signed_in(client, world)

    assert client.get(url("unseen_count")).json() == {"unseen": 4}
    assert post_json(client, {"all": True}).json() == {"marked": 4}
    assert client.get(url("unseen_count")).json() == {"unseen": 0}


def test_marking_ids_seen_touches_only_the_requests_own_inbox(client, world):
    events = add_events(world, 3)
    hidden = helpers.event(helpers.source("private"))
    client = signed_in(client, world)

    response = post_json(client, {"ids": [events[0].pk, events[1].pk, hidden.pk, 10**9]})

    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert post_json(client, {"ids": [events[0].pk]}).json() == {"marked": 0}
    assert world["newsfeed"].inbox(world["entities"]["alice"]).unseen_count() == 1
    assert world["newsfeed"].inbox(world["entities"]["bob"]).unseen_count() == 3
    bob = signed_in(Client(), world, "bob")
    assert bob.get(url("unseen_count")).json() == {"unseen": 3}


def test_marking_seen_needs_the_csrf_token_like_any_django_form(world):
    add_events(world, 2)
    client = signed_in(Client(enforce_csrf_checks=True), world)

    refused = post_json(client, {"all": True})
    assert (refused.status_code, refused["Content-Type"]) == (403, "application/json")
    assert InboxWatermark.objects.count() == 0

    client.get(url("unseen_count"))  # any page; the token comes with the session
    token = "x" * 32
    client.cookies["csrftoken"] = token
    accepted = client.post(
        url("mark_seen"), json.dumps({"all": True}), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.json() == {"marked": 2}


def csrf_failure_page(request, reason=""):
    """A project's own CSRF failure page, which the JSON endpoints must not answer with."""
    return HttpResponseForbidden(f"<p>Our own page: {reason}</p>")


@pytest.mark.parametrize(
    ("cookie", "header", "reason"),
    [
        (None, None, "CSRF cookie not set."),
        ("x" * 32, None, "CSRF token missing."),
        ("x" * 32, "y" * 32, "CSRF token from the 'X-Csrftoken' HTTP header incorrect."),
    ],
    ids=["no cookie", "no token", "wrong token"],
)
def test_a_failed_csrf_check_is_a_json_403_and_the_project_keeps_its_failure_page(
    world, settings, caplog, cookie, header, reason
):
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_failure_page"
    add_events(world, 2)
    client = signed_in(Client(enforce_csrf_checks=True), world)
    if cookie is not None:
        client.cookies["csrftoken"] = cookie
    headers = {} if header is None else {"X-CSRFToken": header}

    with helpers.row_counts_unchanged():
        response = client.post(
            url("mark_seen"), json.dumps({"all": True}), content_type="application/json", headers=headers
        )

    assert (response.status_code, response["Cache-Control"]) == (403, "private, no-store")
    assert response.json() == {
        "error": f"CSRF verification failed: {reason} Send the csrftoken cookie's value in the"
        " X-CSRFToken header."
    }
    assert [(record.name, record.getMessage()) for record in caplog.records] == [
        ("django.security.csrf", f"Forbidden ({reason}): {url('mark_seen')}")
    ]
    # The project's other pages still fail through its own view.
    page = client.post(reverse("entity_event:preferences"), {"receiving": "off"})
    assert page.status_code == 403 and page.content.startswith(b"<p>Our own page: CSRF")


def test_a_get_endpoint_posted_to_without_the_token_fails_the_csrf_check_first(world):
    """As under Django's middleware, which runs before the view can say 405."""
    response = signed_in(Client(enforce_csrf_checks=True), world).post(url("events"))

    assert response.status_code == 403
    assert response.json()["error"].startswith("CSRF verification failed: CSRF cookie not set.")


def test_without_the_csrf_middleware_the_endpoints_check_no_token_either(world, settings):
    """A project that leaves Django's CSRF middleware out chose so; the endpoints follow it."""
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if not path.endswith("CsrfViewMiddleware")]
    add_events(world, 2)

    response = post_json(signed_in(Client(enforce_csrf_checks=True), world), {"all": True})

    assert response.json() == {"marked": 2}


@pytest.mark.parametrize("name", ["events", "unseen_count", "mark_seen"])
def test_without_an_entity_the_endpoints_refuse_with_a_json_error(client, world, name):
    response = client.post(url(name)) if name == "mark_seen" else client.get(url(name))

    assert response.status_code == 403
    assert response.json() == {"error": "Sign in to read your notifications."}


@pytest.mark.parametrize("name", ["events", "unseen_count"])
def test_an_unknown_medium_is_a_404(client, world, name):
    response = signed_in(client, world).get(url(name, medium="pigeon"))

    assert response.status_code == 404
    assert response.json() == {"error": "There is no medium named 'pigeon'."}


def test_json_errors_speak_the_language_the_browser_asks_for(client, world):
    french = signed_in(client, world).get(url("events", medium="pigeon"), HTTP_ACCEPT_LANGUAGE="fr")
    german = signed_in(client, world).get(url("events") + "?limit=0", HTTP_ACCEPT_LANGUAGE="de")

    assert french.json() == {"error": "Il n’y a pas de canal nommé 'pigeon'."}
    assert german.json() == {
        "error": "limit muss eine ganze Zahl von 1 bis 100 sein, nicht '0'.",
        "parameter": "limit",
    }


ENDPOINTS = {"events": "GET", "unseen_count": "GET", "mark_seen": "POST"}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


@pytest.mark.parametrize(
    ("name", "method"),
    [(name, method) for name, allowed in ENDPOINTS.items() for method in METHODS if method != allowed],
)
def test_a_wrong_method_is_a_json_405_naming_it(client, world, name, method):
    response = client.generic(method, url(name))

    assert response.status_code == 405
    assert response["Allow"] == ENDPOINTS[name]
    assert response.json() == {"error": f"{method} is not allowed here; use {ENDPOINTS[name]}."}
    assert response["Cache-Control"] == "private, no-store"


def test_a_head_request_is_a_405_without_a_body(client, world):
    response = client.head(url("events"))

    assert (response.status_code, response["Allow"], response.content) == (405, "GET", b"")


@pytest.mark.parametrize(
    ("signed", "name", "medium"),
    [
        (signed, name, medium)
        for signed in (False, True)
        for name in ENDPOINTS
        for medium in ("newsfeed", "pigeon")
    ],
)
def test_every_answer_is_private_and_not_stored(client, world, signed, name, medium):
    client = signed_in(client, world) if signed else client
    response = (
        post_json(client, {"all": True}, medium) if name == "mark_seen" else client.get(url(name, medium))
    )

    assert response.status_code in (200, 403, 404)
    assert response["Cache-Control"] == "private, no-store"


def test_a_bad_parameter_is_private_and_not_stored_too(client, world):
    response = signed_in(client, world).get(url("events"), {"limit": "0"})

    assert (response.status_code, response["Cache-Control"]) == (400, "private, no-store")


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "²"}, "limit"),
        ({"limit": "①"}, "limit"),
        ({"limit": "٣"}, "limit"),
        ({"limit": " 3"}, "limit"),
        ({"limit": "9" * 30}, "limit"),
        ({"seen": "yes"}, "seen"),
        ({"seen": "False"}, "seen"),
        ({"before": "%%%"}, "before"),
        ({"before": cursor_of("yesterday|3")}, "before"),
        ({"before": cursor_of("2026-01-01T00:00:00+00:00|x")}, "before"),
        ({"before": cursor_of("2026-01-01T00:00:00+00:00|²")}, "before"),
        ({"before": cursor_of("2026-01-01T00:00:00+00:00|-3")}, "before"),
        ({"before": cursor_of(f"2026-01-01T00:00:00+00:00|{2**63}")}, "before"),
        ({"before": cursor_of("2026-01-01T00:00:00|²")}, "before"),
        ({"before": cursor_of(f"2026-01-01T00:00:00|{2**63}")}, "before"),
        ({"before": cursor_of("2026-01-01T00:00:00+00:00")}, "before"),
        ({"before": base64.urlsafe_b64encode(b"\xff\xfe").decode()}, "before"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_them(client, world, params, parameter):
    response = signed_in(client, world).get(url("events"), params)

    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["error"].startswith(parameter)
    assert repr(params[parameter]) in response.json()["error"]


def test_a_cursor_with_the_wrong_kind_of_time_is_a_400(client, world, settings):
    naive_or_aware = "2026-01-01T00:00:00|3" if settings.USE_TZ else "2026-01-01T00:00:00+00:00|3"

    response = signed_in(client, world).get(url("events"), {"before": cursor_of(naive_or_aware)})

    assert response.status_code == 400 and response.json()["parameter"] == "before"


@pytest.mark.parametrize(
    ("body", "parameter", "message"),
    [
        ("not json", "body", "The body must be a JSON object"),
        ("[1, 2]", "body", "The body must be a JSON object"),
        ("{}", "ids", 'Send either "ids"'),
        ('{"ids": [1], "all": true}', "ids", 'Send either "ids"'),
        ('{"up_to": 1, "all": true}', "ids", 'Send either "ids"'),
        ('{"up_to": true}', "up_to", '"up_to" must be an event id from 0 to 9223372036854775807, not true.'),
        ('{"up_to": 1.5}', "up_to", '"up_to" must be an event id from 0 to 9223372036854775807, not 1.5.'),
        ('{"up_to": "3"}', "up_to", '"up_to" must be an event id from 0 to 9223372036854775807, not "3".'),
        ('{"up_to": -3}', "up_to", '"up_to" must be an event id from 0 to 9223372036854775807, not -3.'),
        ('{"up_to": null}', "up_to", '"up_to" must be an event id'),
        (
            '{"up_to": 9223372036854775808}',
            "up_to",
            '"up_to" must be an event id from 0 to 9223372036854775807, not 9223372036854775808.',
        ),
        ('{"ids": ["1"]}', "ids", '"ids" must be a list of integer event ids, not ["1"].'),
        ('{"ids": [true]}', "ids", '"ids" must be a list of integer event ids, not [true].'),
        ('{"ids": 3}', "ids", '"ids" must be a list of integer event ids, not 3.'),
        ('{"all": false}', "all", '"all" must be true, not false.'),
        ('{"all": "yes"}', "all", '"all" must be true, not "yes".'),
        (
            '{"ids": [9223372036854775808]}',
            "ids",
            '"ids" holds 9223372036854775808, which is not an event id',
        ),
        ('{"ids": [1, -9223372036854775809]}', "ids", '"ids" holds -9223372036854775809, which is not'),
        ('{"ids": [%s]}' % ("9" * 5000), "body", "The body must be a JSON object"),
        ("[" * 100_000 + "]" * 100_000, "body", "The body must be a JSON object"),
        ('{"ids": ' + "[" * 100_000 + "]" * 100_000 + "}", "body", "The body must be a JSON object"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "body", "The body must be a JSON object"),
    ],
)
def test_bad_bodies_are_a_400_naming_the_parameter_with_nothing_written(
    client, world, body, parameter, message
):
    add_events(world, 2)

    response = signed_in(client, world).post(url("mark_seen"), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["error"].startswith(message)
    assert InboxWatermark.objects.count() == InboxMark.objects.count() == 0


@pytest.mark.parametrize("size", [4, 40])
def test_a_page_costs_the_same_queries_whatever_the_size_and_depth_of_the_feed(client, world, size):
    events = add_events(world, size)
    inbox = world["newsfeed"].inbox(world["entities"]["alice"])
    inbox.mark_seen()
    inbox.mark_unseen(events[::3])
    client = signed_in(client, world)
    client.get(url("unseen_count"))  # the session and content types are read once before counting

    deep = {"limit": 2, "before": encode_cursor(events[size // 2])}
    with CaptureQueriesContext(connection) as first:
        assert len(client.get(url("events"), {"limit": 2}).json()["events"]) == 2
    with CaptureQueriesContext(connection) as later:
        assert len(client.get(url("events"), deep).json()["events"]) == 2
    with CaptureQueriesContext(connection) as counted:
        client.get(url("unseen_count"))
    with CaptureQueriesContext(connection) as marked:
        post_json(client, {"all": True})

    # Session, user, entity, medium; then the page (with its sources) and its renderers; or the count.
    assert len(first) == len(later) == 7
    assert len(counted) == 5
    assert len(helpers.statements(marked)) == 11


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("medium", ["news\x00feed", "\x00"])
def test_a_medium_name_with_a_nul_is_a_404_naming_it(client, world, name, medium):
    client = signed_in(client, world)
    response = (
        post_json(client, {"all": True}, medium) if name == "mark_seen" else client.get(url(name, medium))
    )

    assert response.status_code == 404
    assert response.json() == {"error": f"There is no medium named {medium!r}."}


@pytest.mark.parametrize("token_in", ["header", "form"])
def test_a_multipart_body_is_a_400_even_once_the_csrf_check_read_it(world, token_in):
    add_events(world, 2)
    client = signed_in(Client(enforce_csrf_checks=True), world)
    client.cookies["csrftoken"] = token = "x" * 32
    data = {"all": "true"} | ({"csrfmiddlewaretoken": token} if token_in == "form" else {})
    headers = {"X-CSRFToken": token} if token_in == "header" else {}

    with helpers.row_counts_unchanged():
        response = client.post(url("mark_seen"), data, headers=headers)  # multipart/form-data

    assert response.status_code == 400
    assert response.json() == {
        "error": "The body must be a JSON object, not multipart/form-data.",
        "parameter": "body",
    }


def test_40000_ids_in_one_body_are_marked_in_a_constant_number_of_statements(client, world):
    events = add_events(world, 3)
    ids = [event.pk for event in events] + list(range(10**9, 10**9 + 40_000))
    client = signed_in(client, world)
    client.get(url("unseen_count"))

    with CaptureQueriesContext(connection) as marked:
        assert post_json(client, {"ids": ids}).json() == {"marked": 3}

    # Session, user, entity, medium; the watermark ensured and locked, the events read, their marks
    # deleted and inserted.
    assert len(helpers.statements(marked)) == 9


#: Cursor times at the ends of what datetime holds, and the page each gives: every event, none,
#: or a 400 for a time no event can have (outside datetime's range in UTC) or of the wrong kind.
AWARE_ENDS = {
    "9999-12-31T23:59:59.999999+00:00": "all",
    "0001-01-01T00:00:00-14:00": "none",
    "9999-12-31T23:59:59.999999-14:00": 400,
    "0001-01-01T00:00:00+14:00": 400,
}
NAIVE_ENDS = {"9999-12-31T23:59:59.999999": "all", "0001-01-01T00:00:00": "none"}


@pytest.mark.parametrize("time", [*AWARE_ENDS, *NAIVE_ENDS])
def test_a_cursor_at_the_ends_of_time_is_a_page_or_a_400_never_a_500(client, world, settings, time):
    events = add_events(world, 2)
    expected = (AWARE_ENDS if settings.USE_TZ else NAIVE_ENDS).get(time, 400)

    response = signed_in(client, world).get(url("events"), {"before": cursor_of(f"{time}|{events[0].pk}")})

    if expected == 400:
        assert response.status_code == 400 and response.json()["parameter"] == "before"
    else:
        page = [event["id"] for event in response.json()["events"]]
        assert page == ([events[1].pk, events[0].pk] if expected == "all" else [])


def test_marking_up_to_an_id_marks_what_the_page_showed(client, world):
    events = add_events(world, 4)
    client = signed_in(client, world)
    page = client.get(url("events"), {"limit": 2}).json()["events"]  # the two newest
    newer = add_events(world, 1)  # arrives after the page was read

    response = post_json(client, {"up_to": max(event["id"] for event in page)})

    assert response.json() == {"marked": 4}
    unseen = client.get(url("events"), {"seen": "false"}).json()["events"]
    assert [event["id"] for event in unseen] == [newer[0].pk]
    assert events[-1].pk < newer[0].pk


@pytest.mark.parametrize("size", [5, 60])
def test_a_capped_unseen_count_answers_more_at_the_same_cost_whatever_the_size(client, world, size):
    add_events(world, size)
    client = signed_in(client, world)
    client.get(url("unseen_count"))  # the session and content types are read once before counting

    with CaptureQueriesContext(connection) as counted:
        capped = client.get(url("unseen_count"), {"limit": 4}).json()

    # Session, user, entity, medium; the count.
    assert len(counted) == 5
    assert capped == {"count": 4, "more": True}
    assert client.get(url("unseen_count"), {"limit": size}).json() == {"count": size, "more": False}
    assert client.get(url("unseen_count"), {"limit": 100}).json() == {"count": size, "more": False}
    assert client.get(url("unseen_count")).json() == {"unseen": size}


@pytest.mark.parametrize("limit", ["0", "-3", "101", "9" * 30, "²", "", " 3", "ten"])
def test_a_bad_limit_on_the_unseen_count_is_a_400_naming_it(client, world, limit):
    response = signed_in(client, world).get(url("unseen_count"), {"limit": limit})

    assert response.status_code == 400
    assert response.json() == {
        "error": f"limit must be a whole number from 1 to 100, not {limit!r}.",
        "parameter": "limit",
    }
