"""Preparing events for rendering: the renderer of each (event, medium) and its loaded context.

:func:`load_contexts_and_renderers` works on all the events at once, in steps:

1. cache each event's source and source group (one query, only for events that lack them);
2. fetch the context renderers that could apply (one query) and choose one per event and
   medium: source group with the medium's style, source with the medium's style, then the same
   two with the style named by ``DEFAULT_ENTITY_EVENT_RENDERING_STYLE``;
3. gather the primary keys that the chosen renderers' context hints point at, all events
   together, and fetch them with one query per hinted model (plus the queries of the hints'
   ``prefetch_related`` lookups);
4. give each event, per medium, a copy of its context in which every hinted key holds model
   instances instead of primary keys, and the chosen renderer.

The number of queries therefore depends on the renderers and hinted models involved, never on
the number of events. ``Event.context`` itself is left as stored.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model, Q

from entity_event import app_settings, models
from entity_event.exceptions import ContextHintError, ContextNotLoadedError

#: Name of the attribute that holds, on each loaded event, a ``{medium id: LoadedRendering}`` dict.
LOADED_ATTRIBUTE = "loaded_renderings"


@dataclass(frozen=True)
class LoadedRendering:
    """What rendering an event on one medium needs: its renderer (``None`` if none applies)
    and its context with the renderer's hinted keys holding model instances."""

    renderer: "models.ContextRenderer | None"
    context: dict


def load_contexts_and_renderers(
    events: Iterable["models.Event"], mediums: Iterable["models.Medium"]
) -> list["models.Event"]:
    """Make every event renderable on every medium; returns the events as a list.

    Each event gets, per medium, the chosen renderer and its loaded context (see the module
    docstring). A hinted primary key whose row no longer exists becomes ``None``; inside a list
    of primary keys it is left out. Raises :class:`~entity_event.exceptions.ContextHintError` if a
    chosen renderer's hint names an unknown model.
    """
    events = list(events)
    mediums = list(mediums)
    if not events or not mediums:
        return events
    _cache_sources(events)
    chosen = _choose_renderers(events, mediums)
    hinted = _fetch_hinted_rows(events, chosen)
    for event in events:
        loaded = getattr(event, LOADED_ATTRIBUTE, {})
        for medium in mediums:
            renderer = chosen[event.pk, medium.pk]
            loaded[medium.pk] = LoadedRendering(renderer, hinted.substitute(event.context, renderer))
        setattr(event, LOADED_ATTRIBUTE, loaded)
    return events


def loaded_rendering(event: "models.Event", medium: "models.Medium") -> LoadedRendering:
    """What was loaded for ``event`` on ``medium``; raises if nothing was."""
    loaded = getattr(event, LOADED_ATTRIBUTE, {}).get(medium.pk)
    if loaded is None:
        raise ContextNotLoadedError(
            f"contexts and renderers of event {event.pk} were not loaded for medium '{medium.name}': "
            "call Medium.render(events) or Event.objects.load_contexts_and_renderers(medium) first"
        )
    return loaded


# Step 1: sources.


def _cache_sources(events: list) -> None:
    """Give every event its source with the source's group, in one query for those lacking them."""
    missing = [event for event in events if not _source_cached(event)]
    if not missing:
        return
    sources = models.Source.objects.select_related("group").in_bulk({event.source_id for event in missing})
    for event in missing:
        event.source = sources[event.source_id]


def _source_cached(event: "models.Event") -> bool:
    return models.Event.source.is_cached(event) and models.Source.group.is_cached(event.source)


# Step 2: renderers.


def _choose_renderers(events: list, mediums: list) -> dict[tuple[int, int], "models.ContextRenderer | None"]:
    """``{(event id, medium id): renderer or None}`` in the documented order of preference."""
    choose = _renderer_chooser(events, mediums)
    return {(event.pk, medium.pk): choose(event.source, medium) for event in events for medium in mediums}


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


def _fetch_hinted_rows(events: list, chosen: dict) -> "_HintedModels":
    """The rows that the chosen renderers' hints point at in the events' contexts, fetched."""
    hinted = _HintedModels({renderer for renderer in chosen.values() if renderer is not None})
    renderers_by_event = defaultdict(set)
    for (event_pk, _medium_pk), renderer in chosen.items():
        if renderer is not None:
            renderers_by_event[event_pk].add(renderer)
    for event in events:
        for renderer in renderers_by_event[event.pk]:
            hinted.collect(event.context, renderer)
    hinted.fetch()
    return hinted


@dataclass
class _ModelFetch:
    """The rows to fetch from one hinted model, and how."""

    select_related: set = field(default_factory=set)
    prefetch_related: set = field(default_factory=set)
    pks: set = field(default_factory=set)
    rows: dict = field(default_factory=dict)


class _HintedModels:
    """The models the renderers' hints point at: pks to fetch, then fetched rows to substitute."""

    def __init__(self, renderers: Iterable) -> None:
        self.fetches: dict[type[Model], _ModelFetch] = defaultdict(_ModelFetch)
        self.models_by_renderer = {renderer.pk: self._resolve(renderer) for renderer in renderers}

    def _resolve(self, renderer: "models.ContextRenderer") -> dict[str, type[Model]]:
        """Map each hinted key of ``renderer`` to its model, merging the hint's related lookups."""
        resolved = {}
        hints = renderer.context_hints or {}
        if not isinstance(hints, dict):
            raise ContextHintError(
                f"context renderer '{renderer.name}' has context hints {hints!r}, which must map context "
                "keys to models"
            )
        for key, hint in hints.items():
            try:
                model = apps.get_model(hint["app_name"], hint["model_name"])
            except (LookupError, KeyError, TypeError, ValueError) as error:
                raise ContextHintError(
                    f"context renderer '{renderer.name}' hints key '{key}' as {hint!r}, "
                    f"which names no installed model ({error})"
                ) from error
            fetch = self.fetches[model]
            fetch.select_related.update(_lookups(hint, "select_related"))
            fetch.prefetch_related.update(_lookups(hint, "prefetch_related"))
            resolved[key] = model
        return resolved

    def collect(self, context: Any, renderer: "models.ContextRenderer") -> None:
        """Note the primary keys that ``renderer``'s hints find in ``context``."""

        def note(model: type[Model], pk: Any) -> None:
            if pk is not None:
                self.fetches[model].pks.add(pk)

        _replace_hinted(context, self.models_by_renderer[renderer.pk], note)

    def fetch(self) -> None:
        """Fetch the noted rows: one query per model (plus its prefetch lookups)."""
        for model, fetch in self.fetches.items():
            if not fetch.pks:
                continue
            rows = model._default_manager.all()
            if fetch.select_related:
                rows = rows.select_related(*sorted(fetch.select_related))
            if fetch.prefetch_related:
                rows = rows.prefetch_related(*sorted(fetch.prefetch_related))
            fetch.rows = rows.in_bulk(fetch.pks)

    def substitute(self, context: Any, renderer: "models.ContextRenderer | None") -> Any:
        """A copy of ``context`` whose keys hinted by ``renderer`` hold the fetched rows."""
        hints = self.models_by_renderer[renderer.pk] if renderer is not None else {}
        return _replace_hinted(context, hints, lambda model, pk: self.fetches[model].rows.get(pk))


def _lookups(hint: dict, name: str) -> list[str]:
    """The ``select_related`` or ``prefetch_related`` lookups of a hint; one name alone is accepted."""
    lookups = hint.get(name) or []
    return [lookups] if isinstance(lookups, str) else list(lookups)


def _replace_hinted(value: Any, hints: dict[str, type[Model]], replace: Callable) -> Any:
    """A copy of ``value`` where each hinted key's primary key(s) become ``replace(model, pk)``.

    Dicts and lists are walked at any depth. A hinted key holding one primary key gets the
    replacement (``None`` if ``replace`` finds no row); one holding a list of primary keys gets
    the list of replacements, rows not found left out. Other values under a hinted key (a dict,
    ``None``) are walked like any other value.
    """
    if isinstance(value, dict):
        copied = {}
        for key, item in value.items():
            model = hints.get(key)
            if model is not None and _is_pk(item):
                copied[key] = replace(model, _to_pk(model, item))
            elif model is not None and isinstance(item, list) and all(map(_is_pk, item)):
                found = (replace(model, _to_pk(model, pk)) for pk in item)
                copied[key] = [row for row in found if row is not None]
            else:
                copied[key] = _replace_hinted(item, hints, replace)
        return copied
    if isinstance(value, list):
        return [_replace_hinted(item, hints, replace) for item in value]
    return value


def _is_pk(value: Any) -> bool:
    """Whether a JSON value can be a primary key: a number or a string (not a boolean)."""
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def _to_pk(model: type[Model], value: Any) -> Any:
    """``value`` as ``model``'s primary key type (JSON may hold ``"7"`` for 7); ``None`` if it is not one."""
    try:
        pk = model._meta.pk.to_python(value)
    except ValidationError:
        return None
    # An integer key's to_python truncates: 7.5 must not fetch row 7.
    return None if isinstance(value, float) and pk != value else pk
