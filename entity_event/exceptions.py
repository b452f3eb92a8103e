"""Exceptions raised by entity_event."""

from django.template import TemplateDoesNotExist


class InvalidEventError(ValueError):
    """An event could not be stored as asked; nothing of the call was written."""


class ContextHintError(LookupError):
    """A context renderer's ``context_hints`` names a model that does not exist or is malformed."""


class ContextNotLoadedError(RuntimeError):
    """An event was rendered (or its context serialized) for a medium nothing was loaded for."""


class NoRendererError(RuntimeError):
    """No context renderer renders an event's source in the style its medium needs."""


class RendererTemplateNotFound(TemplateDoesNotExist):
    """A context renderer names a template path that no template loader finds."""


class InvalidContextError(TypeError):
    """An event's context or a medium's additional context is not an object, so templates cannot use it."""
