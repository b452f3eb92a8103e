"""What the inbox's JSON endpoints and the live stream answer alike: the request's entity's inbox
on the medium named in the URL, the JSON errors, and the ``limit`` parameter."""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from entity_event.event_input import unstorable_character
from entity_event.models import Medium
from entity_event.numbers import parse_number
from entity_event.web.entity import request_entity

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

#: Every answer is one entity's own data: no shared cache may keep it, nor the browser store it.
CACHE_CONTROL = "private, no-store"


class BadParameter(ValueError):
    """A request parameter that cannot be used; becomes a 400 naming it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def answer(view, method: str, request: HttpRequest, medium_name: str) -> JsonResponse:
    """``view(request, inbox)`` for the request's entity's inbox on the medium named in the URL,
    or the JSON error saying why not: 405 for another method than ``method``, 403 without an
    entity, 404 for an unknown medium, 400 naming the parameter of a :class:`BadParameter`."""
    if request.method != method:
        response = JsonResponse(
            {
                "error": _("%(method)s is not allowed here; use %(allowed)s.")
                % {"method": request.method, "allowed": method}
            },
            status=405,
        )
        response["Allow"] = method
        return response
    entity = request_entity(request)
    if entity is None:
        return JsonResponse({"error": _("Sign in to read your notifications.")}, status=403)
    medium = None if unstorable_character(medium_name) else Medium.objects.filter(name=medium_name).first()
    if medium is None:
        return JsonResponse(
            {"error": _("There is no medium named %(name)r.") % {"name": medium_name}}, status=404
        )
    try:
        return view(request, medium.inbox(entity))
    except BadParameter as error:
        return JsonResponse({"error": str(error), "parameter": error.parameter}, status=400)


def parse_limit(value: str | None) -> int:
    """The ``limit`` parameter: ``DEFAULT_LIMIT`` when absent, else a whole number from 1 to
    ``MAX_LIMIT``; :class:`BadParameter` naming it otherwise."""
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = parse_number(value)
    except ValueError:
        limit = None
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise BadParameter(
            "limit",
            _("limit must be a whole number from 1 to %(max)d, not %(value)r.")
            % {"max": MAX_LIMIT, "value": value},
        )
    return limit
