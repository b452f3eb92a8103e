"""JSON endpoints of the inbox: a page of events, the unseen count, and marking events seen.

Each view acts for the request's entity only (see :mod:`entity_event.web.entity`) and answers
``403`` without one, ``404`` for an unknown medium and ``400`` naming the bad parameter.
Pages are cut by keyset on ``(time, id)``: the cursor names the last event of a page, so a
page deep in the feed costs the same as the first.
"""

import base64
import binascii
import json
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from entity_event.inbox import older_than
from entity_event.models import Event, Medium
from entity_event.web.entity import request_entity

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class BadParameter(ValueError):
    """A request parameter that cannot be used; becomes a 400 naming it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def inbox_view(view):
    """Resolve the request's entity and the medium named in the URL, and turn errors into JSON."""

    @wraps(view)
    def wrapped(request: HttpRequest, medium_name: str) -> JsonResponse:
        entity = request_entity(request)
        if entity is None:
            return JsonResponse({"error": "Sign in to read your notifications."}, status=403)
        medium = Medium.objects.filter(name=medium_name).first()
        if medium is None:
            return JsonResponse({"error": f"There is no medium named {medium_name!r}."}, status=404)
        try:
            return view(request, medium.inbox(entity))
        except BadParameter as error:
            return JsonResponse({"error": str(error), "parameter": error.parameter}, status=400)

    return wrapped


@require_GET
@inbox_view
def events(request: HttpRequest, inbox) -> JsonResponse:
    """``{"events": [...], "next": cursor or null}``: a page of the inbox, newest first."""
    limit = _limit(request.GET.get("limit"))
    seen = _seen(request.GET.get("seen"))
    page = inbox.events(seen=seen)
    before = request.GET.get("before")
    if before is not None:
        page = older_than(page, *decode_cursor(before))
    page = list(page[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    rendered = inbox.medium.render(page)
    return JsonResponse(
        {
            "events": [_event_json(event, *rendered[event]) for event in page],
            "next": encode_cursor(page[-1]) if more else None,
        }
    )


@require_GET
@inbox_view
def unseen_count(request: HttpRequest, inbox) -> JsonResponse:
    """``{"unseen": n}``."""
    return JsonResponse({"unseen": inbox.unseen_count()})


@require_POST
@inbox_view
def mark_seen(request: HttpRequest, inbox) -> JsonResponse:
    """``{"marked": n}`` after marking ``{"ids": [...]}`` or ``{"all": true}`` seen."""
    body = _json_object(request.body)
    if ("ids" in body) == ("all" in body):
        raise BadParameter("ids", 'Send either "ids" (a list of event ids) or "all": true.')
    if "all" in body:
        if body["all"] is not True:
            raise BadParameter("all", f'"all" must be true, not {json.dumps(body["all"])}.')
        return JsonResponse({"marked": inbox.mark_seen()})
    ids = body["ids"]
    if not isinstance(ids, list) or not all(type(event_id) is int for event_id in ids):
        raise BadParameter("ids", f'"ids" must be a list of integer event ids, not {json.dumps(ids)}.')
    return JsonResponse({"marked": inbox.mark_seen(ids)})


# Cursors.


def encode_cursor(event: Event) -> str:
    """An opaque cursor naming ``event``'s place in the feed: its time and id."""
    return base64.urlsafe_b64encode(f"{event.time.isoformat()}|{event.pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """``(time, id)`` of a cursor made by :func:`encode_cursor`; :class:`BadParameter` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        time_text, id_text = raw.split("|")
        time, event_id = datetime.fromisoformat(time_text), int(id_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadParameter("before", f"before is not a cursor this feed gave: {cursor!r}.") from None
    if timezone.is_aware(time) != settings.USE_TZ:
        raise BadParameter("before", f"before is not a cursor this feed gave: {cursor!r}.")
    return time, event_id


# Parameters.


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}, not {value!r}.")
    return int(value)


def _seen(value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise BadParameter("seen", f"seen must be true or false, not {value!r}.")
    return value == "true"


def _json_object(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise BadParameter("body", 'The body must be a JSON object such as {"ids": [1, 2]} or {"all": true}.')
    return data


def _event_json(event: Event, text: str, html: str) -> dict:
    return {
        "id": event.pk,
        "time": event.time.isoformat(),
        "source": {"name": event.source.name, "display_name": event.source.display_name},
        "text": text,
        "html": html,
        "seen": event.is_seen,
    }
