"""Unsubscribe links: signed tokens naming an entity, a medium and one or more sources, their
absolute URLs and the ``List-Unsubscribe`` headers of RFC 8058 that email senders put on their messages.

A token is signed with ``django.core.signing`` under its own salt, so it proves that this site
made it for exactly that entity, medium and those sources; it holds ids only and never expires.
A token of one source signs ``[entity, medium, source]``; a token of several (the sources of a
digest) signs ``[entity, medium, [source, ...]]``.
"""

import zlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from entity.models import Entity

from entity_event import app_settings
from entity_event.arguments import ID_RANGE
from entity_event.models import Medium, Source

SALT = "entity_event.unsubscribe"

#: The value of the ``List-Unsubscribe-Post`` header, and the body of a one-click POST.
ONE_CLICK = "List-Unsubscribe=One-Click"


class BadUnsubscribeToken(ValueError):
    """A token this site did not sign for an unsubscribe link, or whose rows are gone."""


#: One source, or several (those of a digest): what an unsubscribe link stops.
Sources = Source | Iterable[Source]


def _source_ids(sources: Sources) -> int | list[int]:
    """The id of one source, or the sorted ids of several (the id alone when there is only one)."""
    if isinstance(sources, Source):
        return sources.pk
    ids = sorted({source.pk for source in sources})
    if not ids:
        raise ValueError("an unsubscribe link needs at least one source")
    return ids[0] if len(ids) == 1 else ids


def unsubscribe_token(entity: Entity, medium: Medium, sources: Sources) -> str:
    """A URL-safe token that lets its holder unsubscribe ``entity`` from ``sources`` on ``medium``.

    ``sources`` is one source, or several (such as the sources of a digest), all stopped at once.
    """
    return signing.Signer(salt=SALT).sign_object([entity.pk, medium.pk, _source_ids(sources)])


def _is_id(value) -> bool:
    return type(value) is int and value in ID_RANGE


def _payload_ids(payload) -> tuple[int, int, list[int]] | None:
    """``(entity, medium, sources)`` of a token's payload; ``None`` for any other shape."""
    if not (isinstance(payload, list) and len(payload) == 3):
        return None
    entity_id, medium_id, wanted = payload
    wanted = wanted if isinstance(wanted, list) else [wanted]
    if wanted and all(map(_is_id, [entity_id, medium_id, *wanted])):
        return entity_id, medium_id, wanted
    return None


def read_unsubscribe_token(token: str) -> tuple[Entity, Medium, list[Source]]:
    """The entity, medium and sources (by name) a token names; :class:`BadUnsubscribeToken` if it is
    not valid or names rows that are gone."""
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature as error:
        raise BadUnsubscribeToken(f"unsubscribe token {token!r} has no valid signature") from error
    except (ValueError, zlib.error, RecursionError):  # signed here, yet not base64 of (zlib of) JSON
        payload = None
    ids = _payload_ids(payload)
    if ids is None:
        raise BadUnsubscribeToken(
            f"unsubscribe token {token!r} does not hold an entity, medium and source ids"
        )
    entity_id, medium_id, wanted = ids
    entity = Entity.all_objects.filter(pk=entity_id).first()
    medium = Medium.objects.filter(pk=medium_id).first()
    sources = list(
        Source.objects.select_related("group").filter(pk__in=wanted).order_by("display_name", "pk")
    )
    if entity is None or medium is None or len(sources) != len(set(wanted)):
        raise BadUnsubscribeToken(
            f"unsubscribe token {token!r} names entity {entity_id}, medium {medium_id} and sources "
            f"{', '.join(map(str, wanted))}, which no longer all exist"
        )
    return entity, medium, sources


def absolute_url(path: str, base_url: str | None = None) -> str:
    """``path`` on ``base_url``; without one, on ``ENTITY_EVENT_BASE_URL``, else on ``https://`` and
    the current ``Site``'s domain (see :func:`entity_event.app_settings.links_base_url`)."""
    base = base_url or app_settings.links_base_url()
    if base is None:
        raise ImproperlyConfigured(
            "links in emails need the site's address: set ENTITY_EVENT_BASE_URL "
            "(such as 'https://www.example.com'), install django.contrib.sites with a SITE_ID, "
            "or pass base_url"
        )
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base URL {base!r} must be an http(s) address with a host, such as 'https://example.com'"
        )
    return base.rstrip("/") + path


def unsubscribe_url(entity: Entity, medium: Medium, sources: Sources, base_url: str | None = None) -> str:
    """The absolute URL of the page that unsubscribes ``entity`` from ``sources`` on ``medium``."""
    path = reverse("entity_event:unsubscribe", kwargs={"token": unsubscribe_token(entity, medium, sources)})
    return absolute_url(path, base_url)


def preferences_url(base_url: str | None = None) -> str:
    """The absolute URL of the preferences page (it shows the pairs of whoever opens it)."""
    return absolute_url(reverse("entity_event:preferences"), base_url)


def unsubscribe_links(entity: Entity, medium: Medium, sources: Sources, base_url: str | None = None) -> dict:
    """``unsubscribe_url`` and ``preferences_url``: the context an email template needs for its links."""
    return {
        "unsubscribe_url": unsubscribe_url(entity, medium, sources, base_url),
        "preferences_url": preferences_url(base_url),
    }


def unsubscribe_headers(
    entity: Entity, medium: Medium, sources: Sources, base_url: str | None = None
) -> dict:
    """The ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers of an email to ``entity``.

    Mail programs that honour RFC 8058 offer an unsubscribe button that POSTs ``ONE_CLICK`` to the
    URL, which unsubscribes at once from every one of ``sources``.
    """
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(entity, medium, sources, base_url)}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }
