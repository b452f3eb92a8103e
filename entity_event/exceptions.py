"""Exceptions raised by entity_event."""

from django.template import TemplateDoesNotExist


class InvalidEventError(ValueError):
    """An event could not be stored as asked; nothing of the call was written."""


class ContextHintError(LookupError):
    """A context renderer's ``context_hints`` is malformed, names no installed model, or has a
    ``select_related`` / ``prefetch_related`` lookup that the model refuses."""


class ContextNotLoadedError(RuntimeError):
    """An event was rendered (or its context serialized) for a medium nothing was loaded for."""


class EventSourceDeletedError(ContextNotLoadedError):
    """An event's source was deleted (and the event with it, by cascade) after the event was read."""


class NoRendererError(RuntimeError):
    """No context renderer renders an event's source in the style its medium needs."""


class RendererTemplateNotFound(TemplateDoesNotExist):
    """A context renderer names a template path that no template loader finds."""


class InvalidContextError(TypeError):
    """An event's context or a medium's additional context is not an object, so templates cannot use it."""
