"""Exceptions raised by entity_event."""

from django.template import TemplateDoesNotExist
from django.utils.translation import gettext


class Message:
    """An error text that a web answer may show: its English original (marked with
    ``gettext_noop`` for ``makemessages``) and the values it names.

    ``str()`` is the English text whatever language is active, so logs and Python callers that
    match an error's text read the same words everywhere; :func:`translated` gives the text in
    the active language (the request's, in a view). An exception carries it as its one argument:
    ``raise ValueError(Message(gettext_noop("%(text)r is bad."), text=text))``.
    """

    def __init__(self, text: str, /, **values):
        self.text = text
        self.values = values

    def __str__(self) -> str:
        return self.text % self.values

    def __repr__(self) -> str:
        return repr(str(self))

    def translated(self) -> str:
        """The text in the active language, the values put in."""
        return gettext(self.text) % self.values


def translated(error: BaseException) -> str:
    """``error``'s text in the active language when it carries a :class:`Message`; its ``str()``
    otherwise."""
    message = error.args[0] if len(error.args) == 1 else None
    return message.translated() if isinstance(message, Message) else str(error)


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
