"""The "Sign-ins" source: an event each time a user really signs in (Django's ``user_logged_in``)."""

from django.contrib.auth.signals import user_logged_in

from demo.feed import mark_own_event_seen, user_entity
from demo.forms import SIGN_IN_SOURCE
from entity_event.models import Event, Source


def record_sign_in(sender, request, user, **kwargs) -> None:
    """Store a sign-in event with the user as actor; the user has seen their own sign-in."""
    source = Source.objects.filter(name=SIGN_IN_SOURCE).first()
    if source is None:  # not seeded yet
        return
    entity = user_entity(user)
    event = Event.objects.create_event(
        source=source,
        actors=[] if entity is None else [entity],
        context={"user": user.pk, "device": device_of(request)},
    )
    mark_own_event_seen(user, event)


def device_of(request) -> str:
    """A rough name of the device from the User-Agent header ("" when unknown)."""
    agent = (request.headers.get("User-Agent", "") if request is not None else "").lower()
    if "ipad" in agent or "tablet" in agent:
        return "a tablet"
    if "mobile" in agent or "android" in agent or "iphone" in agent:
        return "a phone"
    return "a computer" if agent else ""


def connect_sign_in_events() -> None:
    user_logged_in.connect(record_sign_in, dispatch_uid="demo_sign_in_events")
