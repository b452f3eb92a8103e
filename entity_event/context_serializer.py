"""Turning a loaded event context into data that ``json.dumps`` accepts.

A loaded context may hold model instances (from context hints), dates, decimals and strings of
JSON text. :class:`DefaultContextSerializer` walks it and returns plain dicts, lists, strings,
numbers, booleans and ``None``. Each kind of value goes through its own method, so a subclass can
change one step (for instance leave some model fields out) and keep the rest.
"""

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

_JSON_SCALARS = (str, int, float, bool, type(None))


class DefaultContextSerializer:
    """Serialize ``context``; the result is :attr:`data`."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self._models_in_progress: set[int] = set()

    @property
    def data(self) -> Any:
        """The serialized context (computed on each access)."""
        return self.serialize_value(self.context)

    def serialize_value(self, value: Any) -> Any:
        """Serialize any value by sending it to the step for its kind.

        Values outside JSON become strings: dates, times and durations in ISO 8601 (with every
        digit of the microseconds), decimals and UUIDs as their text, anything else through
        ``str``.
        """
        if isinstance(value, Model):
            return self.serialize_model(value)
        if isinstance(value, str):
            return self.serialize_json_string(value)
        if isinstance(value, dict):
            return self.serialize_dict(value)
        if isinstance(value, list | tuple | set | frozenset | QuerySet):
            return self.serialize_list(value)
        if isinstance(value, _JSON_SCALARS):
            return value
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        try:
            return DjangoJSONEncoder().default(value)
        except TypeError:
            return str(value)

    def serialize_model(self, instance: Model) -> dict:
        """A dict of the instance's fields by name, with the related objects already in memory.

        A foreign key holds the related object as a dict when it was cached (``select_related``
        or an earlier access), its primary key otherwise. Relations filled by
        ``prefetch_related`` hold lists of dicts; other many-to-many and reverse relations are
        left out, so serializing never runs a query. An object met again inside itself (a
        one-to-one cached in both directions) is given as its primary key.
        """
        self._models_in_progress.add(id(instance))
        try:
            data = {}
            for model_field in instance._meta.concrete_fields:
                if model_field.is_relation:
                    data[model_field.name] = self.serialize_value(getattr(instance, model_field.attname))
                else:
                    data[model_field.name] = self.serialize_value(model_field.value_from_object(instance))
            for name, related in instance._state.fields_cache.items():
                data[name] = self._serialize_related(related)
            for name, related in getattr(instance, "_prefetched_objects_cache", {}).items():
                data[name] = self.serialize_list(related)
            return data
        finally:
            self._models_in_progress.discard(id(instance))

    def _serialize_related(self, related: Model | None) -> Any:
        if related is None or id(related) in self._models_in_progress:
            return None if related is None else self.serialize_value(related.pk)
        return self.serialize_model(related)

    def serialize_json_string(self, value: str) -> Any:
        """JSON text of an object or an array becomes that object or array; any other string
        (including ``"12"`` or ``"true"``) stays as it is."""
        if value.lstrip().startswith(("{", "[")):
            try:
                return json.loads(value)
            except ValueError:
                pass
        return value

    def serialize_list(self, values) -> list:
        """A list of the serialized items (lists, tuples, sets and querysets alike)."""
        return [self.serialize_value(value) for value in values]

    def serialize_dict(self, values: dict) -> dict:
        """A dict with each value serialized; keys become strings as JSON needs."""
        return {str(key): self.serialize_value(value) for key, value in values.items()}
