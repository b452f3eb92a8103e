"""Turning a loaded event context into data that ``json.dumps`` accepts.

A loaded context may hold model instances (from context hints), dates, decimals and strings of
JSON text. :class:`DefaultContextSerializer` walks it and returns plain dicts, lists, strings,
numbers, booleans and ``None``.

As in 3.x, :meth:`~DefaultContextSerializer.serialize_value` passes every value through a chain
of steps, each of which converts the values of its kind and returns any other value unchanged:
:meth:`~DefaultContextSerializer.serialize_model`,
:meth:`~DefaultContextSerializer.serialize_json_string`,
:meth:`~DefaultContextSerializer.serialize_list`, :meth:`~DefaultContextSerializer.serialize_dict`
and finally :meth:`~DefaultContextSerializer.serialize_scalar`. A subclass overrides one step and
keeps the rest.

Model instances leave out password fields and the fields named by
``ENTITY_EVENT_SERIALIZER_EXCLUDE``, unless the context hint of their key lists the fields to
serialize (``"fields": [...]``); see ``docs/rendering.rst``.
"""

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

from entity_event import app_settings

_JSON_VALUES = (str, int, float, bool, type(None), dict, list)


class DefaultContextSerializer:
    """Serialize ``context``; the result is :attr:`data`.

    ``context_hints`` are the hints of the renderer the context was loaded for: a hint's
    ``"fields"`` list chooses the fields of the instances under its key.
    """

    def __init__(self, context: Any, context_hints: dict | None = None) -> None:
        self.context = context
        self.context_hints = context_hints if isinstance(context_hints, dict) else {}
        self._models_in_progress: set[int] = set()
        # The "fields" of the hint whose key holds the value being serialized (None: the default).
        self._chosen_fields: list[list[str] | None] = [None]

    @property
    def data(self) -> Any:
        """The serialized context (computed on each access)."""
        return self.serialize_value(self.context)

    def serialize_value(self, value: Any) -> Any:
        """Serialize any value by passing it through every step in turn."""
        for step in (
            self.serialize_model,
            self.serialize_json_string,
            self.serialize_list,
            self.serialize_dict,
            self.serialize_scalar,
        ):
            value = step(value)
        return value

    def serialize_model(self, value: Any) -> Any:
        """A model instance becomes a dict of its fields by name; other values stay as they are.

        A foreign key holds the related object as a dict when it was cached (``select_related``
        or an earlier access), its primary key otherwise. A many-to-many field holds the list of
        the related primary keys (one query, unless it was prefetched); relations filled by
        ``prefetch_related`` hold lists of dicts. An object met again inside itself (a one-to-one
        cached in both directions) is given as its primary key.
        """
        if not isinstance(value, Model):
            return value
        chosen = self._chosen_fields[-1]
        self._models_in_progress.add(id(value))
        self._chosen_fields.append(None)
        try:
            return self._model_data(value, lambda name: _wanted(value, name, chosen))
        finally:
            self._chosen_fields.pop()
            self._models_in_progress.discard(id(value))

    def _model_data(self, instance: Model, wanted) -> dict:
        data = {}
        prefetched = getattr(instance, "_prefetched_objects_cache", {})
        for model_field in instance._meta.concrete_fields:
            if wanted(model_field.name):
                if model_field.is_relation:
                    value = getattr(instance, model_field.attname)
                else:
                    value = model_field.value_from_object(instance)
                data[model_field.name] = self.serialize_value(value)
        for model_field in instance._meta.many_to_many:
            if wanted(model_field.name) and model_field.name not in prefetched:
                data[model_field.name] = self._related_pks(instance, model_field.name)
        for name, related in instance._state.fields_cache.items():
            if wanted(name):
                data[name] = self._serialize_related(related)
        for name, related in prefetched.items():
            if wanted(name):
                data[name] = self.serialize_list(related)
        return data

    def _related_pks(self, instance: Model, name: str) -> list:
        if instance.pk is None:
            return []
        return [self.serialize_value(pk) for pk in getattr(instance, name).values_list("pk", flat=True)]

    def _serialize_related(self, related: Model | None) -> Any:
        if related is None or id(related) in self._models_in_progress:
            return None if related is None else self.serialize_value(related.pk)
        return self.serialize_model(related)

    def serialize_json_string(self, value: Any) -> Any:
        """JSON text of an object or an array becomes that object or array; any other string
        (including ``"12"`` or ``"true"``), and any value that is no string, stays as it is."""
        if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
            try:
                return json.loads(value)
            except ValueError:
                pass
        return value

    def serialize_list(self, value: Any) -> Any:
        """Lists, tuples, sets and querysets become lists of serialized items; other values stay."""
        if isinstance(value, list | tuple | set | frozenset | QuerySet):
            return [self.serialize_value(item) for item in value]
        return value

    def serialize_dict(self, value: Any) -> Any:
        """A dict gets each value serialized and its keys as strings; other values stay.

        The instances directly under a key hinted with ``"fields"`` keep only those fields.
        """
        if not isinstance(value, dict):
            return value
        serialized = {}
        for key, item in value.items():
            self._chosen_fields.append(_hinted_fields(self.context_hints.get(key)))
            try:
                serialized[str(key)] = self.serialize_value(item)
            finally:
                self._chosen_fields.pop()
        return serialized

    def serialize_scalar(self, value: Any) -> Any:
        """A value outside JSON becomes a string; JSON values (and containers) stay as they are.

        Dates, times and durations give ISO 8601 (with every digit of the microseconds),
        decimals and UUIDs their text, anything else ``str``.
        """
        if isinstance(value, _JSON_VALUES):
            return value
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        try:
            return DjangoJSONEncoder().default(value)
        except TypeError:
            return str(value)


def _hinted_fields(hint: Any) -> list[str] | None:
    """The field names a context hint asks for, or ``None`` when it names none."""
    fields = hint.get("fields") if isinstance(hint, dict) else None
    return list(fields) if isinstance(fields, list | tuple) else None


def _wanted(instance: Model, name: str, chosen: list[str] | None) -> bool:
    """Whether the field (or relation) ``name`` of ``instance`` is serialized."""
    if chosen is not None:
        return name in chosen
    return not is_secret_field(instance, name)


def is_secret_field(instance: Model, name: str) -> bool:
    """Whether a field is left out by default: a password, or named by ``ENTITY_EVENT_SERIALIZER_EXCLUDE``."""
    name = name.lower()
    if "password" in name:
        return True
    excluded = {entry.lower() for entry in app_settings.serializer_exclude()}
    meta = instance._meta
    return name in excluded or f"{meta.app_label}.{meta.model_name}.{name}" in excluded
