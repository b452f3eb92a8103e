"""Rendering events for a demo page or mail, tolerant of sources that have no renderer yet."""

from django.utils.html import escape

from entity_event.context_loader import load_contexts_and_renderers, loaded_rendering
from entity_event.models import Event, Medium
from entity_event.rendering import medium_context


def render(medium: Medium, events: list[Event]) -> dict[Event, tuple[str, str]]:
    """``{event: (text, html)}`` in ``medium``'s style, contexts and renderers loaded together."""
    return {event: render_loaded(medium, event) for event in load_contexts_and_renderers(events, [medium])}


def render_loaded(medium: Medium, event: Event, extra_context: dict | None = None) -> tuple[str, str]:
    """``(text, html)`` of an event loaded for ``medium``, ``extra_context`` merged over its context.

    The extra context carries what differs per reader, such as the unsubscribe link of an email.
    An event whose source has no renderer in that style (say, a source just added in the admin)
    gets a plain line naming its source, so that it cannot break a whole page or mail run.
    """
    renderer = loaded_rendering(event, medium).renderer
    if renderer is None:
        text = f"{event.source}: an event with no renderer for the {medium} medium."
        return text, escape(text)
    return renderer.render_context_to_text_html_templates(
        {**medium_context(event, medium), **(extra_context or {})}
    )
