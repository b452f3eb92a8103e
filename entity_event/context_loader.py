"""Preparing events for rendering: the renderer of each (event, medium) and the hinted rows.

:func:`load_contexts_and_renderers` works on all the events at once, in steps:

1. cache each event's source and source group (one query, only for events that lack them);
2. fetch the context renderers that could apply (one query) and choose one per event and
   medium: source group with the medium's style, source with the medium's style, then the same
   two with the style named by ``DEFAULT_ENTITY_EVENT_RENDERING_STYLE``;
3. gather the primary keys that each chosen renderer's context hints point at, all events
   together, and fetch them with one query per hinted model and set of related lookups (plus
   the queries of the ``prefetch_related`` lookups); renderers never share lookups, so each
   gets exactly the rows its own hints ask for;
4. put the fetched rows into each ``event.context`` in place of the primary keys, as 3.x did,
   and remember, per medium, the chosen renderer and its rows.

Rendering (:func:`rendering_context`) reads ``event.context`` when it runs, so values a caller
adds after loading reach the templates, and gives each renderer its own rows. The number of
queries depends on the renderers and hinted models involved, never on the number of events.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, prefetch_related_objects
from django.utils import translation

from entity_event import app_settings
from entity_event.exceptions import ContextHintError, ContextNotLoadedError, EventSourceDeletedError
from entity_event.registry import models
from entity_event.validators import LOOKUP_ERRORS, ContextHint, parse_context_hints

#: Name of the attribute that holds, on each loaded event, a ``{medium id: LoadedRendering}`` dict.
LOADED_ATTRIBUTE = "loaded_renderings"
#: Name of the attribute that holds, on each loaded event, ``{id(row): row}`` of the rows that
#: loading put into ``event.context``.
PLACED_ATTRIBUTE = "loaded_rows_placed"


@dataclass(frozen=True)
class LoadedRendering:
    """What rendering an event on one medium needs: its renderer (``None`` if none applies),
    the rows that renderer's hints fetched, and the error to raise instead of rendering."""

    renderer: "models.ContextRenderer | None"
    rows: "_RendererRows | None" = None
    error: Exception | None = None


def load_contexts_and_renderers(
    events: Iterable["models.Event"], mediums: Iterable["models.Medium"]
) -> list["models.Event"]:
    """Make every event renderable on every medium; returns the events as a list.

    The hinted primary keys of each ``event.context`` are replaced by the rows, in place (see
    the module docstring and ``docs/rendering.rst``). A hinted primary key whose row no longer
    exists becomes ``None``; inside a list of primary keys it is left out. A renderer with bad
    hints, and an event whose source was deleted meanwhile, do not stop the loading: rendering
    those events raises :class:`~entity_event.exceptions.ContextHintError` or
    :class:`~entity_event.exceptions.EventSourceDeletedError`.
    """
    events = list(events)
    mediums = list(mediums)
    if not events or not mediums:
        return events
    orphans = _cache_sources(events)
    live = [event for event in events if id(event) not in orphans]
    chosen = _choose_renderers(live, mediums)
    fetched = _fetch_hinted_rows(live, chosen)
    for event in events:
        loaded = getattr(event, LOADED_ATTRIBUTE, {})
        for medium in mediums:
            loaded[medium.pk] = (
                LoadedRendering(None, error=_source_deleted(event))
                if id(event) in orphans
                else fetched.loaded(chosen[id(event), medium.pk])
            )
        setattr(event, LOADED_ATTRIBUTE, loaded)
        placed = getattr(event, PLACED_ATTRIBUTE, {})
        for medium in mediums:
            rows = loaded[medium.pk].rows
            if rows is not None:
                event.context = rows.place(event.context, placed)
        setattr(event, PLACED_ATTRIBUTE, placed)
    return events


def loaded_rendering(event: "models.Event", medium: "models.Medium") -> LoadedRendering:
    """What was loaded for ``event`` on ``medium``; raises if nothing was, or if it cannot render."""
    loaded = getattr(event, LOADED_ATTRIBUTE, {}).get(medium.pk)
    if loaded is None:
        raise ContextNotLoadedError(
            f"contexts and renderers of event {event.pk} were not loaded for medium '{medium.name}': "
            "call Medium.render(events) or Event.objects.load_contexts_and_renderers(medium) first"
        )
    if loaded.error is not None:
        # A fresh exception each time, so that tracebacks do not pile up on a stored one.
        raise type(loaded.error)(*loaded.error.args)
    return loaded


def rendering_context(event: "models.Event", medium: "models.Medium") -> Any:
    """A copy of ``event.context`` as it is now, with the rows of the renderer chosen for
    ``medium`` under its hinted keys, and rows placed there for other renderers' keys given
    back as their primary keys."""
    rows = loaded_rendering(event, medium).rows
    return _view(event.context, rows or _RendererRows({}, {}), getattr(event, PLACED_ATTRIBUTE, {}))


def source_deleted(event: "models.Event", medium: "models.Medium") -> bool:
    """Whether loading found ``event``'s source (and so the event itself) deleted."""
    loaded = getattr(event, LOADED_ATTRIBUTE, {}).get(medium.pk)
    return loaded is not None and isinstance(loaded.error, EventSourceDeletedError)


# Step 1: sources.


def _cache_sources(events: list) -> set[int]:
    """Give every event its source with the source's group, in one query for those lacking them.

    Returns the ``id()`` of the events whose source no longer exists.
    """
    missing = [event for event in events if not _source_cached(event)]
    if not missing:
        return set()
    sources = models.Source.objects.select_related("group").in_bulk({event.source_id for event in missing})
    orphans = set()
    for event in missing:
        if event.source_id in sources:
            event.source = sources[event.source_id]
        else:
            orphans.add(id(event))
    return orphans


def _source_cached(event: "models.Event") -> bool:
    return models.Event.source.is_cached(event) and models.Source.group.is_cached(event.source)


def _source_deleted(event: "models.Event") -> EventSourceDeletedError:
    return EventSourceDeletedError(
        f"event {event.pk} cannot be rendered: its source {event.source_id} was deleted, and the "
        "event with it, after the event was read"
    )


# Step 2: renderers.


def _choose_renderers(events: list, mediums: list) -> dict[tuple[int, int], "models.ContextRenderer | None"]:
    """``{(id(event), medium id): renderer or None}`` in the documented order of preference."""
    choose = _renderer_chooser(events, mediums)
    return {(id(event), medium.pk): choose(event.source, medium) for event in events for medium in mediums}


def _renderer_chooser(events: list, mediums: list) -> Callable:
    """A function ``(source, medium) -> renderer or None`` over the renderers that could apply."""
    default_style = app_settings.default_rendering_style_name()
    styles = Q(rendering_style_id__in={medium.rendering_style_id for medium in mediums} - {None})
    if default_style:
        styles |= Q(rendering_style__name=default_style)
    renderers = (
        models.ContextRenderer.objects.filter(
            Q(source_id__in={event.source_id for event in events})
            | Q(source_group_id__in={event.source.group_id for event in events}),
            styles,
        )
        .select_related("rendering_style")
        .order_by("id")
    )
    by_target: dict[tuple, models.ContextRenderer] = {}
    default_style_id = None
    for renderer in renderers:
        if renderer.rendering_style.name == default_style:
            default_style_id = renderer.rendering_style_id
        if renderer.source_group_id is not None:
            by_target.setdefault(("group", renderer.source_group_id, renderer.rendering_style_id), renderer)
        if renderer.source_id is not None:
            by_target.setdefault(("source", renderer.source_id, renderer.rendering_style_id), renderer)

    def choose(source: "models.Source", medium: "models.Medium") -> "models.ContextRenderer | None":
        for style_id in (medium.rendering_style_id, default_style_id):
            for target in (("group", source.group_id), ("source", source.id)):
                renderer = by_target.get((*target, style_id))
                if renderer is not None:
                    return renderer
        return None

    return choose


# Steps 3 and 4: context hints.


@dataclass
class _Fetch:
    """The rows of one model fetched with one set of lookups, for the renderers asking for them."""

    hint: ContextHint
    pks: set = field(default_factory=set)
    rows: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class _RendererRows:
    """The rows one renderer's hints fetched, by hinted key."""

    models: dict[str, type[Model]]
    fetches: dict[str, _Fetch]

    def row(self, key: str, pk: Any) -> Model | None:
        return self.fetches[key].rows.get(pk)

    def place(self, context: Any, placed: dict) -> Any:
        """Put this renderer's rows into ``context`` in place of hinted primary keys."""

        def replace(key: str, model: type[Model], pk: Any) -> Model | None:
            row = self.row(key, _to_pk(model, pk))
            if row is not None:
                placed[id(row)] = row
            return row

        return _place(context, self.models, replace)


class ContextHintedRows:
    """Every chosen renderer's hints, the primary keys they find, then the fetched rows."""

    def __init__(self, renderers: Iterable) -> None:
        self.fetches: dict[ContextHint, _Fetch] = {}
        self.by_renderer: dict[int, _RendererRows | ContextHintError] = {}
        for renderer in renderers:
            try:
                hints = _resolve(renderer)
            except ContextHintError as error:
                self.by_renderer[renderer.pk] = error
                continue
            fetches = {key: self.fetches.setdefault(hint, _Fetch(hint)) for key, hint in hints.items()}
            models_by_key = {key: hint.model for key, hint in hints.items()}
            self.by_renderer[renderer.pk] = _RendererRows(models_by_key, fetches)

    def collect(self, context: Any, renderer: "models.ContextRenderer") -> None:
        """Note the primary keys that ``renderer``'s hints find in ``context``."""
        rows = self.by_renderer[renderer.pk]
        if isinstance(rows, ContextHintError):
            return

        def note(key: str, model: type[Model], value: Any) -> None:
            pk = value.pk if isinstance(value, model) else _to_pk(model, value)
            if pk is not None:
                rows.fetches[key].pks.add(pk)

        _walk_hinted(context, rows.models, note)

    def fetch(self) -> None:
        """Fetch the noted rows: one query per model and lookups (plus the prefetch queries)."""
        for fetch in self.fetches.values():
            if fetch.pks:
                fetch.rows, fetch.error = _fetch_rows(fetch.hint, fetch.pks)

    def loaded(self, renderer: "models.ContextRenderer | None") -> LoadedRendering:
        """What rendering with ``renderer`` needs, or the error its hints give."""
        if renderer is None:
            return LoadedRendering(None)
        rows = self.by_renderer[renderer.pk]
        if isinstance(rows, ContextHintError):
            return LoadedRendering(renderer, error=rows)
        for key, fetch in rows.fetches.items():
            if fetch.error is not None:
                error = ContextHintError(
                    f"context renderer '{renderer.name}' hints key '{key}' with the lookup {fetch.error}"
                )
                return LoadedRendering(renderer, error=error)
        return LoadedRendering(renderer, rows)


def _fetch_hinted_rows(events: list, chosen: dict) -> ContextHintedRows:
    """The rows that the chosen renderers' hints point at in the events' contexts, fetched."""
    hinted = ContextHintedRows({renderer for renderer in chosen.values() if renderer is not None})
    renderers_by_event = defaultdict(set)
    for (event_id, _medium_pk), renderer in chosen.items():
        if renderer is not None:
            renderers_by_event[event_id].add(renderer)
    for event in events:
        for renderer in renderers_by_event[id(event)]:
            hinted.collect(event.context, renderer)
    hinted.fetch()
    return hinted


def _resolve(renderer: "models.ContextRenderer") -> dict[str, ContextHint]:
    """Each hinted key of ``renderer`` with its model and lookups; raises ContextHintError."""
    try:
        return parse_context_hints(renderer.context_hints)
    except ValidationError as error:
        with translation.override(None):  # a developer's error, in English as the others
            detail = " ".join(error.messages)
        raise ContextHintError(f"context renderer '{renderer.name}': {detail}") from error


def _fetch_rows(hint: ContextHint, pks: set) -> tuple[dict, str | None]:
    """``({pk: row}, None)``, or ``({}, description)`` when a prefetch lookup fails."""
    in_range = [pk for pk in pks if _pk_in_range(pk)]
    rows = hint.model._default_manager.select_related(*hint.select_related).in_bulk(in_range)
    for lookup in hint.prefetch_related:
        try:
            prefetch_related_objects(list(rows.values()), lookup)
        except LOOKUP_ERRORS as error:
            return {}, f"prefetch_related '{lookup}', which {hint.model._meta.label} refuses ({error})"
    return rows, None


def _pk_in_range(pk: Any) -> bool:
    """Whether a key fits a 64-bit integer column, the widest there is: SQLite overflows on a
    larger one, where PostgreSQL finds no row."""
    return not isinstance(pk, int) or -(2**63) <= pk < 2**63


def _walk_hinted(value: Any, hints: dict[str, type[Model]], note: Callable) -> None:
    """Call ``note(key, model, value)`` for each primary key or row under a hinted key, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            model = hints.get(key)
            if model is not None and _is_pk_or_row(item, model):
                note(key, model, item)
            elif model is not None and _is_list_of_pks_or_rows(item, model):
                for element in item:
                    note(key, model, element)
            else:
                _walk_hinted(item, hints, note)
    elif isinstance(value, list):
        for item in value:
            _walk_hinted(item, hints, note)


def _place(value: Any, hints: dict[str, type[Model]], replace: Callable) -> Any:
    """``value`` with each hinted primary key replaced by ``replace(key, model, pk)``, in place.

    A hinted key holding one primary key gets the replacement (``None`` if no row); one holding
    a list of primary keys gets the list of rows found. Rows already in place stay.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            model = hints.get(key)
            if model is not None and _is_pk(item):
                value[key] = replace(key, model, item)
            elif model is not None and _is_list_of_pks_or_rows(item, model):
                found = (
                    element if isinstance(element, Model) else replace(key, model, element)
                    for element in item
                )
                value[key] = [row for row in found if row is not None]
            elif not (model is not None and isinstance(item, model)):
                _place(item, hints, replace)
    elif isinstance(value, list):
        for item in value:
            _place(item, hints, replace)
    return value


def _view(value: Any, rows: _RendererRows, placed: dict) -> Any:
    """A copy of ``value`` for one renderer: rows under its hinted keys are its own rows (of the
    same primary key), rows placed for other renderers are given back as primary keys, and
    anything else a caller put there stays as it is."""
    if isinstance(value, dict):
        copied = {}
        for key, item in value.items():
            model = rows.models.get(key)
            if model is not None and (_is_pk_or_row(item, model) or _is_list_of_pks_or_rows(item, model)):
                copied[key] = _own_rows(key, model, item, rows)
            else:
                copied[key] = _view(item, rows, placed)
        return copied
    if isinstance(value, list):
        return [_view(item, rows, placed) for item in value]
    if isinstance(value, Model) and placed.get(id(value)) is value:
        return value.pk
    return value


def _own_rows(key: str, model: type[Model], item: Any, rows: _RendererRows) -> Any:
    if isinstance(item, list):
        return [_own_rows(key, model, element, rows) for element in item]
    if isinstance(item, model):
        own = rows.row(key, item.pk)
        return item if own is None else own
    return item


def _is_pk(value: Any) -> bool:
    """Whether a JSON value can be a primary key: a number or a string (not a boolean)."""
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def _is_pk_or_row(value: Any, model: type[Model]) -> bool:
    return _is_pk(value) or isinstance(value, model)


def _is_list_of_pks_or_rows(value: Any, model: type[Model]) -> bool:
    return isinstance(value, list) and all(_is_pk_or_row(element, model) for element in value)


def _to_pk(model: type[Model], value: Any) -> Any:
    """``value`` as ``model``'s primary key type (JSON may hold ``"7"`` for 7); ``None`` if it is not one."""
    try:
        pk = model._meta.pk.to_python(value)
    except ValidationError:
        return None
    # An integer key's to_python truncates: 7.5 must not fetch row 7.
    return None if isinstance(value, float) and pk != value else pk
