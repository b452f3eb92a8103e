"""Rendering loaded events with their context renderers' templates, and serializing their contexts.

Templates go through the project's Django template engine. HTML renderings escape the context's
values as Django templates usually do; text renderings do not, since a plain-text email should
read ``Tom & Jerry``, not ``Tom &amp; Jerry``.
"""

from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist

from entity_event import context_loader
from entity_event.context_serializer import DefaultContextSerializer
from entity_event.exceptions import InvalidContextError, NoRendererError, RendererTemplateNotFound
from entity_event.registry import models


def render_template(renderer: "models.ContextRenderer", context: dict, is_text: bool = True) -> str:
    """Render ``renderer``'s text (or HTML) template: its path if set, else its inline template.

    With neither, the result is ``''``. Raises
    :class:`~entity_event.exceptions.RendererTemplateNotFound` for a path no loader finds.
    """
    if is_text:
        return render_chosen_template(
            renderer, "text", renderer.text_template_path, renderer.text_template, context
        )
    return render_chosen_template(
        renderer, "html", renderer.html_template_path, renderer.html_template, context
    )


def render_chosen_template(
    renderer: "models.ContextRenderer", kind: str, path: str, inline: str, context: dict
) -> str:
    """Render one template of ``renderer`` (``kind`` names it in errors; a kind ending in
    ``text`` is not escaped): the template at ``path`` if set, else ``inline``, else ``''``."""
    engine = Engine.get_default()
    if path:
        try:
            template = engine.get_template(path)
        except TemplateDoesNotExist as error:
            raise RendererTemplateNotFound(
                f"context renderer '{renderer.name}' names the {kind} template '{path}', "
                "which no template loader finds",
                tried=error.tried,
                chain=[error],
            ) from error
    elif inline:
        template = engine.from_string(inline)
    else:
        return ""
    return template.render(Context(context, autoescape=not kind.endswith("text")))


def medium_context(event: "models.Event", medium: "models.Medium") -> dict:
    """The context ``event`` renders with on ``medium``, read from ``event.context`` now: the
    hinted rows of the medium's renderer in place, the medium's additional context merged over it."""
    return {**context_loader.rendering_context(event, medium), **(medium.additional_context or {})}


def render_event(
    event: "models.Event", medium: "models.Medium", observing_entity: Any = None
) -> tuple[str, str]:
    """``(text, html)`` of a loaded event on ``medium``.

    ``observing_entity``, when given, is available to the templates under that name.
    """
    renderer = context_loader.loaded_rendering(event, medium).renderer
    if renderer is None:
        raise NoRendererError(
            f"no context renderer renders events of source '{event.source.name}' on medium "
            f"'{medium.name}': add one for the source or its group, in the medium's rendering style "
            "or in the style named by DEFAULT_ENTITY_EVENT_RENDERING_STYLE"
        )
    check_contexts(event, medium)
    context = medium_context(event, medium)
    if observing_entity is not None:
        context["observing_entity"] = observing_entity
    return renderer.render_context_to_text_html_templates(context)


def render_events(medium: "models.Medium", events) -> dict:
    """``{event: (text, html)}`` for ``events`` on ``medium``, loading them first.

    Events whose source was deleted meanwhile (and so the events themselves) are left out.
    """
    loaded = context_loader.load_contexts_and_renderers(events, [medium])
    return {
        event: render_event(event, medium)
        for event in loaded
        if not context_loader.source_deleted(event, medium)
    }


def serialized_context(event: "models.Event", medium: "models.Medium") -> Any:
    """The JSON-safe form of the context ``event`` renders with on ``medium``."""
    renderer = context_loader.loaded_rendering(event, medium).renderer
    check_contexts(event, medium)
    context = medium_context(event, medium)
    if renderer is None:
        return DefaultContextSerializer(context).data
    return renderer.get_serialized_context(context)


def check_contexts(event: "models.Event", medium: "models.Medium") -> None:
    """Raise :class:`~entity_event.exceptions.InvalidContextError` naming the event (or the medium)
    whose context (or additional context) is not an object: 3.x and ``objects.create`` store them."""
    if not isinstance(event.context, dict):
        raise InvalidContextError(
            f"event {event.pk} has the context {event.context!r}, which templates cannot render: "
            "a context must be an object of names and values"
        )
    if not isinstance(medium.additional_context, dict | None):
        raise InvalidContextError(
            f"medium '{medium.name}' has the additional context {medium.additional_context!r}, "
            "which must be an object of names and values"
        )
