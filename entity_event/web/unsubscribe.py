"""Unsubscribe links: signed tokens naming an (entity, medium, source), their absolute URLs and the
``List-Unsubscribe`` headers of RFC 8058 that email senders put on their messages.

A token is signed with ``django.core.signing`` under its own salt, so it proves that this site
made it for exactly that entity, medium and source; it holds ids only and never expires.
"""

from urllib.parse import urlsplit

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from entity.models import Entity

from entity_event import app_settings
from entity_event.models import Medium, Source

SALT = "entity_event.unsubscribe"

#: The value of the ``List-Unsubscribe-Post`` header, and the body of a one-click POST.
ONE_CLICK = "List-Unsubscribe=One-Click"


class BadUnsubscribeToken(ValueError):
    """A token this site did not sign for an unsubscribe link, or whose rows are gone."""


def unsubscribe_token(entity: Entity, medium: Medium, source: Source) -> str:
    """A URL-safe token that lets its holder unsubscribe ``entity`` from ``source`` on ``medium``."""
    return signing.Signer(salt=SALT).sign_object([entity.pk, medium.pk, source.pk])


def read_unsubscribe_token(token: str) -> tuple[Entity, Medium, Source]:
    """The entity, medium and source a token names; :class:`BadUnsubscribeToken` if it is not valid."""
    try:
        ids = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature as error:
        raise BadUnsubscribeToken(f"unsubscribe token {token!r} has no valid signature") from error
    if not (isinstance(ids, list) and len(ids) == 3 and all(type(pk) is int for pk in ids)):
        raise BadUnsubscribeToken(f"unsubscribe token {token!r} does not hold three ids")
    entity_id, medium_id, source_id = ids
    entity = Entity.all_objects.filter(pk=entity_id).first()
    medium = Medium.objects.filter(pk=medium_id).first()
    source = Source.objects.select_related("group").filter(pk=source_id).first()
    if entity is None or medium is None or source is None:
        raise BadUnsubscribeToken(
            f"unsubscribe token {token!r} names entity {entity_id}, medium {medium_id} and source "
            f"{source_id}, which no longer all exist"
        )
    return entity, medium, source


def absolute_url(path: str, base_url: str | None = None) -> str:
    """``path`` on ``base_url``, or on the ``ENTITY_EVENT_BASE_URL`` setting without one."""
    base = base_url or app_settings.base_url()
    if base is None:
        raise ImproperlyConfigured(
            "links in emails need the site's address: set ENTITY_EVENT_BASE_URL "
            "(such as 'https://www.example.com') or pass base_url"
        )
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base URL {base!r} must be an http(s) address with a host, such as 'https://example.com'"
        )
    return base.rstrip("/") + path


def unsubscribe_url(entity: Entity, medium: Medium, source: Source, base_url: str | None = None) -> str:
    """The absolute URL of the page that unsubscribes ``entity`` from ``source`` on ``medium``."""
    path = reverse("entity_event:unsubscribe", kwargs={"token": unsubscribe_token(entity, medium, source)})
    return absolute_url(path, base_url)


def preferences_url(base_url: str | None = None) -> str:
    """The absolute URL of the preferences page (it shows the pairs of whoever opens it)."""
    return absolute_url(reverse("entity_event:preferences"), base_url)


def unsubscribe_links(entity: Entity, medium: Medium, source: Source, base_url: str | None = None) -> dict:
    """``unsubscribe_url`` and ``preferences_url``: the context an email template needs for its links."""
    return {
        "unsubscribe_url": unsubscribe_url(entity, medium, source, base_url),
        "preferences_url": preferences_url(base_url),
    }


def unsubscribe_headers(entity: Entity, medium: Medium, source: Source, base_url: str | None = None) -> dict:
    """The ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers of an email to ``entity``.

    Mail programs that honour RFC 8058 offer an unsubscribe button that POSTs ``ONE_CLICK`` to the
    URL, which unsubscribes at once.
    """
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(entity, medium, source, base_url)}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }
