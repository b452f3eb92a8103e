"""The JSON endpoint "Why did I get this?": why the request's entity receives one event.

It answers like the inbox's endpoints (see :mod:`entity_event.web.inbox_views`): GET only,
``403`` without an entity, ``404`` for an unknown medium, ``400`` naming a malformed event id,
never cached. An event that the entity does not receive is a ``404`` identical to that of an
event that does not exist, so the endpoint tells nothing about other entities' events.
"""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from entity.models import Entity

from entity_event.explain import Reach
from entity_event.models import Event
from entity_event.numbers import parse_number
from entity_event.web.answers import BadParameter
from entity_event.web.inbox_views import csrf_checked, inbox_view


@csrf_checked
def why(request: HttpRequest, medium_name: str, event_id: str) -> JsonResponse:
    """``{"receives": true, "reasons": [...], "subscriptions": [...]}`` for one event."""

    @inbox_view("GET")
    def answer(request: HttpRequest, inbox) -> JsonResponse:
        return _explained(inbox.medium, inbox.entity, _event_id(event_id))

    return answer(request, medium_name)


def _event_id(text: str) -> int:
    try:
        return parse_number(text)
    except ValueError:
        raise BadParameter(
            "event", _("The event id must be a whole number, not %(value)r.") % {"value": text}
        ) from None


def _explained(medium, entity: Entity, event_id: int) -> JsonResponse:
    event = Event.objects.filter(pk=event_id).first()
    explanation = None if event is None else medium.explain(event, entity)
    if explanation is None or not explanation.receives:
        return JsonResponse(
            {"error": _("You have no event %(id)d on %(medium)s.") % {"id": event_id, "medium": medium}},
            status=404,
        )
    return JsonResponse(
        {
            "receives": True,
            "reasons": list(explanation.reasons),
            "subscriptions": [_reach_json(reach) for reach in explanation.subscriptions],
        }
    )


def _named(row) -> dict | None:
    """``{"id", "display_name"}`` of an entity, kind, source or medium; ``None`` for none."""
    if row is None:
        return None
    return {"id": row.pk, "display_name": row.display_name}


def _reach_json(reach: Reach) -> dict:
    subscription = reach.subscription
    return {
        "source": _named(subscription.source),
        "only_following": subscription.only_following,
        "group": _named(subscription.entity) if subscription.sub_entity_kind_id else None,
        "kind": _named(subscription.sub_entity_kind),
        "follows": None
        if reach.actor is None
        else {"actor": _named(reach.actor), "actor_is": reach.actor_is},
    }
