"""Every error text a page or a JSON answer shows, in the language of the request (Accept-Language,
read by Django's LocaleMiddleware): one request per kind of bad input."""

import html
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import reverse

from entity_event.tests import helpers
from entity_event.unsubscribe import unsubscribe_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("entity_from_header_setting")]


@pytest.fixture
def world():
    """Alice, who receives the photo tags on the newsfeed."""
    alice = helpers.entity("alice")
    newsfeed = helpers.medium("newsfeed")
    photo = helpers.source("photo-tag")
    helpers.subscribe(newsfeed, photo, alice)
    return {"alice": alice, "newsfeed": newsfeed, "photo": photo}


def inbox(name: str, medium: str = "newsfeed") -> str:
    return reverse(f"entity_event:inbox_{name}", kwargs={"medium_name": medium})


def why(event_id: str) -> str:
    return reverse("entity_event:explain_why", kwargs={"medium_name": "newsfeed", "event_id": event_id})


def client(world, language: str, *, signed_in: bool = True, **options) -> Client:
    """A client asking for ``language``, for Alice unless ``signed_in`` is false."""
    headers = {"Accept-Language": language}
    if signed_in:
        headers["X-Entity"] = str(world["alice"].pk)
    return Client(headers=headers, **options)


def mark_seen(world, language: str, body):
    return client(world, language).post(inbox("mark_seen"), json.dumps(body), content_type="application/json")


def switch(world, language: str, **data):
    pair = {"medium": world["newsfeed"].pk, "source": world["photo"].pk, "receiving": "off"}
    return client(world, language).post(reverse("entity_event:preferences"), pair | data)


def stream(world, language: str):
    """The answer to opening the live stream (an ASGI view) with a ``Last-Event-ID`` it never gave."""
    headers = {"X-Entity": str(world["alice"].pk), "Accept-Language": language, "Last-Event-ID": "x1"}
    path = reverse("entity_event:live_stream", kwargs={"medium_name": "newsfeed"})
    return async_to_sync(AsyncClient().get)(path, headers=headers)


def unsubscribe(world, language: str):
    """A POST to an unsubscribe link without RFC 8058's one-click body."""
    token = unsubscribe_token(world["alice"], world["newsfeed"], [world["photo"]])
    return client(world, language).post(reverse("entity_event:unsubscribe", args=[token]))


#: Each kind of bad request, ``(world, language) -> answer``, and the error text it answers in
#: French (``<alice>`` and ``<newsfeed>`` standing for their ids).
BAD_REQUESTS = {
    "limit": (
        lambda world, language: client(world, language).get(inbox("events"), {"limit": "0"}),
        "limit doit être un nombre entier de 1 à 100, pas '0'.",
    ),
    "seen": (
        lambda world, language: client(world, language).get(inbox("events"), {"seen": "yes"}),
        "seen doit valoir true ou false, pas 'yes'.",
    ),
    "cursor": (
        lambda world, language: client(world, language).get(inbox("events"), {"before": "%%%"}),
        "before n’est pas un curseur donné par ce fil : '%%%'.",
    ),
    "group cursor": (
        lambda world, language: client(world, language).get(inbox("groups"), {"before": "abc.x"}),
        "before n’est pas un curseur donné par ce fil : 'abc.x'.",
    ),
    "unknown medium": (
        lambda world, language: client(world, language).get(inbox("events", medium="pigeon")),
        "Il n’y a pas de canal nommé 'pigeon'.",
    ),
    "no entity": (
        lambda world, language: client(world, language, signed_in=False).get(inbox("events")),
        "Connectez-vous pour lire vos notifications.",
    ),
    "method": (
        lambda world, language: client(world, language).put(inbox("events")),
        "PUT n’est pas permis ici ; utilisez GET.",
    ),
    "csrf": (
        lambda world, language: client(world, language, enforce_csrf_checks=True).post(inbox("mark_seen")),
        "La vérification CSRF a échoué : CSRF cookie not set. Envoyez la valeur du cookie csrftoken"
        " dans l’en-tête X-CSRFToken.",
    ),
    "multipart body": (
        lambda world, language: client(world, language).post(inbox("mark_seen"), {"all": "true"}),
        "Le corps doit être un objet JSON, pas multipart/form-data.",
    ),
    "body": (
        lambda world, language: mark_seen(world, language, [1]),
        'Le corps doit être un objet JSON tel que {"ids": [1, 2]} ou {"all": true}.',
    ),
    "no choice": (
        lambda world, language: mark_seen(world, language, {}),
        'Envoyez soit "ids" (une liste d’identifiants d’événements), soit "up_to" (un identifiant'
        ' d’événement), soit "all": true, soit "groups" (une liste d’identifiants de groupes).',
    ),
    "all": (lambda world, language: mark_seen(world, language, {"all": 1}), '"all" doit valoir true, pas 1.'),
    "ids": (
        lambda world, language: mark_seen(world, language, {"ids": "1"}),
        '"ids" doit être une liste d’identifiants d’événements entiers, pas "1".',
    ),
    "id range": (
        lambda world, language: mark_seen(world, language, {"ids": [2**64]}),
        '"ids" contient 18446744073709551616, qui n’est pas un identifiant d’événement : les'
        " identifiants tiennent sur 64 bits.",
    ),
    "up_to": (
        lambda world, language: mark_seen(world, language, {"up_to": -1}),
        '"up_to" doit être un identifiant d’événement de 0 à 9223372036854775807, pas -1.',
    ),
    "groups": (
        lambda world, language: mark_seen(world, language, {"groups": [1]}),
        '"groups" doit être une liste d’identifiants de groupes, pas [1].',
    ),
    "group id": (
        lambda world, language: mark_seen(world, language, {"groups": ["1"]}),
        "\"groups\" doit être une liste d’identifiants de groupes : '1' n’est pas un identifiant de groupe.",
    ),
    "group window": (
        lambda world, language: mark_seen(world, language, {"groups": ["1-0"]}),
        "\"groups\" doit être une liste d’identifiants de groupes : '1-0' n’est pas un identifiant de"
        " groupe : sa fenêtre est hors limites.",
    ),
    "why id": (
        lambda world, language: client(world, language).get(why("abc")),
        "L’identifiant d’événement doit être un nombre entier, pas 'abc'.",
    ),
    "why event": (
        lambda world, language: client(world, language).get(why("999")),
        "Vous n’avez pas d’événement 999 sur Newsfeed.",
    ),
    "stream": (stream, "Last-Event-ID n’est pas un identifiant donné par ce flux : 'x1'."),
    "preferences entity": (
        lambda world, language: client(world, language, signed_in=False).get(
            reverse("entity_event:preferences")
        ),
        "Connectez-vous pour voir vos paramètres de notification.",
    ),
    "preferences id": (
        lambda world, language: switch(world, language, medium="x"),
        "* medium\n  * 'x' n’est pas un nombre entier de 0 à 9223372036854775807.",
    ),
    "preferences pair": (
        lambda world, language: switch(world, language, source=10**9),
        "l’entité <alice> n’est pas abonnée à la source d’identifiant 1000000000 sur le canal"
        " d’identifiant <newsfeed>",
    ),
    "unsubscribe body": (unsubscribe, "Le corps du POST doit être List-Unsubscribe=One-Click."),
}


def error_text(response) -> str:
    """The error text of a JSON answer, or the text of a plain or HTML one."""
    assert 400 <= response.status_code < 500
    if response["Content-Type"] == "application/json":
        return response.json()["error"]
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(("ask", "french"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_french_request_reads_the_error_in_french(world, ask, french):
    ids = {"<alice>": world["alice"].pk, "<newsfeed>": world["newsfeed"].pk}
    for name, pk in ids.items():
        french = french.replace(name, str(pk))
    assert error_text(ask(world, "fr")) == french


@pytest.mark.parametrize("ask", [ask for ask, _french in BAD_REQUESTS.values()], ids=BAD_REQUESTS.keys())
def test_every_error_text_is_in_the_french_and_german_catalogs(world, ask):
    english, french, german = (error_text(ask(world, language)) for language in ("en", "fr", "de"))
    assert len({english, french, german}) == 3, english
