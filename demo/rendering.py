"""Rendering events for a demo page or mail, tolerant of sources that have no renderer yet."""

from django.utils.html import escape

from entity_event.exceptions import NoRendererError
from entity_event.models import Event, Medium


def render(medium: Medium, events: list[Event]) -> dict[Event, tuple[str, str]]:
    """``{event: (text, html)}`` in ``medium``'s style, contexts and renderers loaded together.

    An event whose source has no renderer in that style (say, a source just added in the admin)
    gets a plain line naming its source, so that it cannot break a whole page or mail run.
    """
    loaded = Event.objects.filter(pk__in=[event.pk for event in events]).load_contexts_and_renderers(medium)
    return {event: _render_or_name(event, medium) for event in loaded}


def _render_or_name(event: Event, medium: Medium) -> tuple[str, str]:
    try:
        return event.render(medium)
    except NoRendererError:
        text = f"{event.source}: an event with no renderer for the {medium} medium."
        return text, escape(text)
