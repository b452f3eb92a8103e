"""Checking what ``create_event`` and ``create_events`` are asked to store, before anything is written.

Each check raises :class:`~entity_event.exceptions.InvalidEventError` with a message naming the bad
value, so that a batch fails whole before its first query, instead of half-way through with a
database error that PostgreSQL and SQLite would not even agree on.
"""

import json
import re
import uuid as uuid_module
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from entity.models import Entity

from entity_event.exceptions import InvalidEventError

#: Arguments the database fills in itself: accepting them would silently ignore them.
_ASSIGNED_BY_THE_DATABASE = ("id", "pk")

#: Text PostgreSQL refuses in ``text`` and ``jsonb`` values: the NUL character and the halves of
#: surrogate pairs, which are not Unicode characters on their own.
_UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def event_fields(kwargs: dict) -> dict:
    """The fields of one event, checked, with ``None`` and missing values given their defaults."""
    event_model = apps.get_model("entity_event", "Event")
    for name in _ASSIGNED_BY_THE_DATABASE:
        if name in kwargs:
            raise InvalidEventError(f"{name}={kwargs[name]!r} cannot be given: the database numbers events.")
    known = {name for field in event_model._meta.concrete_fields for name in (field.name, field.attname)}
    unknown = set(kwargs) - known
    if unknown:
        raise InvalidEventError(f"Unknown event field(s): {', '.join(sorted(unknown))}.")
    fields = dict(kwargs)
    _check_source(fields)
    fields["context"] = {} if fields.get("context") is None else fields["context"]
    check_context(fields["context"])
    fields["uuid"] = _uuid(fields.get("uuid"), event_model)
    fields["time"] = _moment("time", fields.get("time"), timezone.now)
    fields["time_expires"] = _moment(
        "time_expires", fields.get("time_expires"), event_model._meta.get_field("time_expires").default
    )
    return fields


def _check_source(fields: dict) -> None:
    source_model = apps.get_model("entity_event", "Source")
    source, source_id = fields.get("source"), fields.get("source_id")
    if source is None and source_id is None:
        raise InvalidEventError("An event needs a source (source=... or source_id=...).")
    if source is not None and not isinstance(source, source_model):
        raise InvalidEventError(f"source must be a Source, not {source!r} (give an id as source_id).")
    if source is not None and source.pk is None:
        raise InvalidEventError(f"The source {source.name!r} has no id: it was never saved, or was deleted.")
    if source_id is not None and (isinstance(source_id, bool) or not isinstance(source_id, int)):
        raise InvalidEventError(f"source_id must be the integer id of a source, not {source_id!r}.")


def check_context(context: Any) -> None:
    """Refuse a context that is not a dict, is not JSON, or holds text PostgreSQL cannot store."""
    if not isinstance(context, Mapping):
        kind = type(context).__name__
        raise InvalidEventError(f"An event context must be a dict, not {kind}: {context!r}.")
    try:
        # NaN and infinities are not JSON: PostgreSQL and SQLite refuse them at the insert.
        text = json.dumps(context, cls=DjangoJSONEncoder, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidEventError(f"The event context cannot be stored as JSON: {error}") from error
    # Cheap test on the whole text first (a NUL is written escaped); walk only a suspicious context.
    if "\\u0000" in text or _UNSTORABLE_CHARACTERS.search(text):
        for where, value in _texts(json.loads(text), "context"):
            _check_text(f"The event context ({where})", value)


def _texts(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string of a JSON value, keys included, with where it sits (``context['a'][0]``)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"a key of {where}", key
            yield from _texts(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{where}[{index}]")


def unstorable_character(text: str) -> str | None:
    """The first character of ``text`` that PostgreSQL cannot store, if any: such text names no row."""
    found = _UNSTORABLE_CHARACTERS.search(text)
    return found.group() if found else None


def _check_text(what: str, text: str) -> None:
    found = unstorable_character(text)
    if found:
        character = "a NUL character" if found == "\x00" else "a lone surrogate"
        raise InvalidEventError(
            f"{what} holds {text!r}, with {character} ({found!r}), which PostgreSQL cannot store."
        )


def _uuid(value: Any, event_model) -> str:
    """The uuid as the text its column stores; a new one for ``None``."""
    if value is None:
        return uuid_module.uuid4().hex
    field = event_model._meta.get_field("uuid")
    # As the text the column stores, so that the uuid the insert returns finds its request.
    text = field.to_python(value)
    if len(text) > field.max_length:
        raise InvalidEventError(
            f"The uuid {text[:60]!r}... has {len(text)} characters; at most {field.max_length} fit."
        )
    _check_text("The uuid", text)
    return text


def _moment(name: str, value: Any, default) -> datetime:
    """A datetime field's value: the default for ``None``, in the form the ``USE_TZ`` mode stores."""
    if value is None:
        return default()
    if not isinstance(value, datetime):
        raise InvalidEventError(f"{name} must be a datetime, not {value!r}.")
    if not settings.USE_TZ and timezone.is_aware(value):
        # SQLite refuses aware values without USE_TZ; PostgreSQL would store this same moment.
        return timezone.make_naive(value)
    return value


def actor_ids(actors: Any) -> list[int]:
    """The distinct entity ids of ``actors``: an entity, an id, or an iterable of them (``None``: none)."""
    if actors is None:
        return []
    if isinstance(actors, Entity | int):
        actors = [actors]
    if isinstance(actors, str | bytes | Mapping) or not hasattr(actors, "__iter__"):
        raise InvalidEventError(f"actors must be entities or entity ids, not {actors!r}.")
    ids = {}
    for actor in actors:
        if isinstance(actor, Entity):
            actor = actor.pk
        if not isinstance(actor, int) or isinstance(actor, bool):
            raise InvalidEventError(f"An actor must be an Entity or an entity id, not {actor!r}.")
        ids[actor] = None
    return list(ids)
