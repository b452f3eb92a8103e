"""JSON endpoints of the inbox: a page of events or of groups, the unseen count, and marking
events seen.

Each view acts for the request's entity only (see :mod:`entity_event.web.entity`) and answers
``403`` without one, ``404`` for an unknown medium and ``400`` naming the bad parameter. A
failed CSRF check is a JSON ``403`` too: the views check CSRF themselves, as Django's middleware
would, and are exempt from the middleware, whose failure page is HTML (see docs/read_state.rst).
Pages are cut by keyset on ``(time, id)``: the cursor names the last event of a page, so a
page deep in the feed costs the same as the first. A cursor of the groups also names the
settled event id their first page was formed from (see :mod:`entity_event.groups`).
"""

import base64
import binascii
import json
import logging
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.log import log_response
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from entity_event.arguments import ID_RANGE
from entity_event.databases import reads_on_primary
from entity_event.exceptions import translated
from entity_event.groups import EventGroup, group_event_ids
from entity_event.inbox import older_than
from entity_event.models import Event
from entity_event.numbers import parse_number
from entity_event.web.answers import CACHE_CONTROL, BadParameter, answer, parse_limit


class JsonCsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, with a failure answered as the endpoints' JSON error, not Django's
    HTML page (``CSRF_FAILURE_VIEW`` stays the project's, for its other pages)."""

    def _reject(self, request: HttpRequest, reason: str) -> JsonResponse:
        response = JsonResponse(
            {
                "error": _(
                    "CSRF verification failed: %(reason)s Send the csrftoken cookie's value in the"
                    " X-CSRFToken header."
                )
                % {"reason": reason}
            },
            status=403,
        )
        log_response(
            "Forbidden (%s): %s", reason, request.path, response=response, request=request, logger=CSRF_LOGGER
        )
        return response


#: Where Django's CSRF middleware logs its refusals; the endpoints log theirs there too.
CSRF_LOGGER = logging.getLogger("django.security.csrf")


def csrf_checked(view):
    """``view`` exempt from the CSRF middleware, checking CSRF itself when the project installs
    that middleware (the same decision, answered in JSON)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs):
        if _csrf_middleware_installed():
            refused = JsonCsrfCheck(view).process_view(request, view, args, kwargs)
            if refused is not None:
                refused["Cache-Control"] = CACHE_CONTROL
                return refused
        return view(request, *args, **kwargs)

    return csrf_exempt(checked)


def _csrf_middleware_installed() -> bool:
    """Whether the project's ``MIDDLEWARE`` holds Django's CSRF middleware or a subclass of it."""
    return any(issubclass(import_string(path), CsrfViewMiddleware) for path in settings.MIDDLEWARE)


def inbox_view(method: str):
    """A JSON endpoint taking ``method`` only, for the request's entity and the medium named in the URL.

    Every answer, errors, wrong methods and failed CSRF checks included, is JSON and marked
    private and not to be stored.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, medium_name: str) -> JsonResponse:
            # A POST writes: what it reads is read on the primary, which holds its writes.
            with reads_on_primary() if method == "POST" else nullcontext():
                response = answer(view, method, request, medium_name)
            response["Cache-Control"] = CACHE_CONTROL
            return response

        return csrf_checked(wrapped)

    return decorate


@inbox_view("GET")
def events(request: HttpRequest, inbox) -> JsonResponse:
    """``{"events": [...], "next": cursor or null}``: a page of the inbox, newest first."""
    limit = parse_limit(request.GET.get("limit"))
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


@inbox_view("GET")
def groups(request: HttpRequest, inbox) -> JsonResponse:
    """``{"groups": [...], "next": cursor or null}``: a page of the inbox's groups, newest first,
    taking the parameters of :func:`events`."""
    limit = parse_limit(request.GET.get("limit"))
    page = inbox.groups(seen=_seen(request.GET.get("seen")))
    before = request.GET.get("before")
    if before is not None:
        place, snapshot = decode_group_cursor(before)
        page = page.older_than(place, snapshot=snapshot)
    shown = page[: limit + 1]
    more = len(shown) > limit
    shown = shown[:limit]
    rendered = inbox.medium.render_groups(shown)
    return JsonResponse(
        {
            "groups": [_group_json(group, *rendered[group]) for group in shown],
            "next": encode_group_cursor(shown[-1], page.snapshot) if more else None,
        }
    )


@inbox_view("GET")
def unseen_count(request: HttpRequest, inbox) -> JsonResponse:
    """``{"unseen": n}``; with ``?limit=N``, ``{"count": min(n, N), "more": n > N}`` at a cost
    bounded by ``N``, for a badge showing "99+"."""
    if "limit" not in request.GET:
        return JsonResponse({"unseen": inbox.unseen_count()})
    limit = parse_limit(request.GET["limit"])
    counted = inbox.unseen_count(limit=limit + 1)
    return JsonResponse({"count": min(counted, limit), "more": counted > limit})


@inbox_view("POST")
def mark_seen(request: HttpRequest, inbox) -> JsonResponse:
    """``{"marked": n}`` after marking ``{"ids": [...]}``, ``{"up_to": id}`` (everything up to an
    event id: what a page showed), ``{"all": true}`` or ``{"groups": [...]}`` (group ids) seen."""
    body = _json_object(request)
    if sum(key in body for key in ("ids", "up_to", "all", "groups")) != 1:
        raise BadParameter(
            "ids",
            _(
                'Send either "ids" (a list of event ids), "up_to" (an event id), "all": true or '
                '"groups" (a list of group ids).'
            ),
        )
    if "groups" in body:
        return JsonResponse({"marked": inbox.mark_seen(_group_ids_events(inbox, body["groups"]))})
    if "up_to" in body:
        return JsonResponse({"marked": inbox.mark_seen(up_to=_event_id("up_to", body["up_to"]))})
    if "all" in body:
        if body["all"] is not True:
            raise BadParameter(
                "all", _('"all" must be true, not %(value)s.') % {"value": json.dumps(body["all"])}
            )
        return JsonResponse({"marked": inbox.mark_seen()})
    ids = body["ids"]
    if not isinstance(ids, list) or not all(type(event_id) is int for event_id in ids):
        raise BadParameter(
            "ids", _('"ids" must be a list of integer event ids, not %(value)s.') % {"value": json.dumps(ids)}
        )
    for event_id in ids:
        if event_id not in ID_RANGE:
            raise BadParameter(
                "ids", _('"ids" holds %(id)d, which is not an event id: ids are 64-bit.') % {"id": event_id}
            )
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
        time, event_id = datetime.fromisoformat(time_text), parse_number(id_text)
        if timezone.is_aware(time) != settings.USE_TZ:
            raise ValueError("the wrong kind of time")
        # The database compares in UTC: a time outside datetime's range there is no event's.
        return (time.astimezone(UTC) if settings.USE_TZ else time), event_id
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise _not_a_cursor(cursor) from None


def _not_a_cursor(cursor: str) -> BadParameter:
    return BadParameter(
        "before", _("before is not a cursor this feed gave: %(cursor)r.") % {"cursor": cursor}
    )


def encode_group_cursor(group: EventGroup, snapshot: int) -> str:
    """An opaque cursor naming ``group``'s place (its newest event's) and the snapshot of its page."""
    return f"{encode_cursor(group.newest)}.{snapshot}"


def decode_group_cursor(cursor: str) -> tuple[tuple[datetime, int], int]:
    """``((time, id), snapshot)`` of a cursor made by :func:`encode_group_cursor`;
    :class:`BadParameter` otherwise."""
    place, _, snapshot = cursor.rpartition(".")
    try:
        snapshot_id = parse_number(snapshot)
    except ValueError:
        raise _not_a_cursor(cursor) from None
    try:
        return decode_cursor(place), snapshot_id
    except BadParameter:
        raise _not_a_cursor(cursor) from None


# Parameters.


def _event_id(name: str, value) -> int:
    """An event id sent as a JSON number, read by the one parser of numbers (so ``true``,
    ``1.5``, ``"3"`` and ``-3`` are refused); :class:`BadParameter` naming it otherwise."""
    try:
        return parse_number(json.dumps(value))
    except ValueError:
        raise BadParameter(
            name,
            _('"%(name)s" must be an event id from 0 to %(max)d, not %(value)s.')
            % {"name": name, "max": ID_RANGE[-1], "value": json.dumps(value)},
        ) from None


def _group_ids_events(inbox, group_ids) -> list[int]:
    """The ids of the events of the groups ``group_ids`` names; :class:`BadParameter` naming a
    value that is not a list of group ids."""
    if not isinstance(group_ids, list) or not all(isinstance(group_id, str) for group_id in group_ids):
        raise BadParameter(
            "groups",
            _('"groups" must be a list of group ids, not %(value)s.') % {"value": json.dumps(group_ids)},
        )
    try:
        return group_event_ids(inbox, group_ids)
    except ValueError as error:
        raise BadParameter(
            "groups", _('"groups" must be a list of group ids: %(error)s') % {"error": translated(error)}
        ) from None


def _seen(value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise BadParameter("seen", _("seen must be true or false, not %(value)r.") % {"value": value})
    return value == "true"


def _json_object(request: HttpRequest) -> dict:
    """The JSON object of the request's body; :class:`BadParameter` for anything else.

    A multipart body is refused before it is read: Django streams it into ``request.POST`` (the
    CSRF check reads that), after which the raw body is gone. JSON nested too deep for Python's
    parser is refused like malformed JSON.
    """
    data = None
    if request.content_type == "multipart/form-data":
        raise BadParameter(
            "body", _("The body must be a JSON object, not %(type)s.") % {"type": request.content_type}
        )
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        pass
    if not isinstance(data, dict):
        raise BadParameter(
            "body", _('The body must be a JSON object such as {"ids": [1, 2]} or {"all": true}.')
        )
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


def _group_json(group: EventGroup, text: str, html: str) -> dict:
    return {
        "id": group.id,
        "count": group.count,
        "actor_count": group.actor_count,
        "actors": [actor.display_name for actor in group.actors],
        "text": text,
        "html": html,
        "is_seen": group.is_seen,
        "time": group.time.isoformat(),
        "event_ids": [event.pk for event in group.events],
        "source": {"name": group.source.name, "display_name": group.source.display_name},
    }
