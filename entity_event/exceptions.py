"""Exceptions raised by entity_event."""


class InvalidEventError(ValueError):
    """An event could not be stored as asked; nothing of the call was written."""
