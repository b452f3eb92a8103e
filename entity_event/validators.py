"""Checks of the JSON that staff edit: a medium's additional context and a renderer's context hints.

The model ``clean()`` methods call them, so the admin (and any model form) shows a bad value as an
error on its field instead of storing something every later rendering would fail on; context
loading reads hints through :func:`parse_context_hints` too, so both refuse the same hints. The
error codes differ from ``"invalid"``, which a form's JSON field would replace with its own message.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

#: The keys a context hint may hold; the first two are required.
HINT_KEYS = ("app_name", "model_name", "select_related", "prefetch_related", "fields")

#: What a bad ``select_related`` lookup raises, depending on the lookup and the Django version.
LOOKUP_ERRORS = (FieldError, ValueError, AttributeError, TypeError)


@dataclass(frozen=True)
class ContextHint:
    """One hinted key read: its model and the related lookups to fetch with it (sorted, each once)."""

    model: type[Model]
    select_related: tuple[str, ...]
    prefetch_related: tuple[str, ...]


def validate_additional_context(value: Any) -> None:
    """A medium's additional context is empty (``None``) or a JSON object merged into contexts."""
    if value is not None and not isinstance(value, dict):
        raise ValidationError(
            _("The additional context must be a JSON object of names and values, not %(value)s."),
            code="not_an_object",
            params={"value": _shown(value)},
        )


def validate_context_hints(value: Any) -> None:
    """Context hints are empty (``None``) or an object mapping context keys to hints naming a model."""
    parse_context_hints(value)


def parse_context_hints(value: Any) -> dict[str, ContextHint]:
    """Each hinted key of ``value`` with its model and lookups; ``ValidationError`` naming the
    first bad key and what is wrong with it (an unknown key of a hint included)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            _("The context hints must be a JSON object mapping context keys to hints, not %(value)s."),
            code="not_an_object",
            params={"value": _shown(value)},
        )
    return {key: _parse_hint(key, hint) for key, hint in value.items()}


def _parse_hint(key: str, hint: Any) -> ContextHint:
    def invalid(message: str, **details: str) -> ValidationError:
        """The error ``message``, a whole sentence naming the hint's ``%(key)s`` and ``%(hint)s``."""
        return ValidationError(
            message, code="invalid_hint", params={"key": _shown(key), "hint": _shown(hint), **details}
        )

    if not isinstance(hint, dict):
        raise invalid(
            _("The hint of %(key)s, %(hint)s, must be an object with an app_name and a model_name.")
        )
    unknown = sorted(set(hint) - set(HINT_KEYS))
    if unknown:
        raise invalid(
            _("The hint of %(key)s, %(hint)s, has unknown keys (%(unknown)s); a hint may hold %(known)s."),
            unknown=", ".join(unknown),
            known=", ".join(HINT_KEYS),
        )
    app_name, model_name = hint.get("app_name"), hint.get("model_name")
    if not isinstance(app_name, str) or not isinstance(model_name, str):
        raise invalid(
            _("The hint of %(key)s, %(hint)s, must name a model with a text app_name and model_name.")
        )
    try:
        model = apps.get_model(app_name, model_name)
    except LookupError as error:
        raise invalid(_("The hint of %(key)s, %(hint)s, names no installed model.")) from error
    for name in ("select_related", "prefetch_related", "fields"):
        if _names(hint, name) is None:
            raise invalid(
                _("The hint of %(key)s, %(hint)s, has a %(name)s that is not a list of names: %(value)s."),
                name=name,
                value=_shown(hint[name]),
            )
    select_related = tuple(sorted(set(_names(hint, "select_related"))))
    for lookup in select_related:
        try:
            # Compiling the query, without running it, checks the lookup.
            str(model._default_manager.select_related(lookup).query)
        except LOOKUP_ERRORS as error:
            raise invalid(
                _(
                    "The hint of %(key)s, %(hint)s, has the select_related lookup %(lookup)s, which the "
                    "model refuses: %(error)s"
                ),
                lookup=_shown(lookup),
                error=str(error),
            ) from error
    return ContextHint(model, select_related, tuple(sorted(set(_names(hint, "prefetch_related")))))


def _names(hint: dict, name: str) -> list[str] | None:
    """The names under ``name`` in a hint (one lookup may stand alone as a string); ``None`` if
    they are not names."""
    names = hint.get(name, [])
    if isinstance(names, str) and name != "fields":
        names = [names]
    if isinstance(names, list) and all(isinstance(item, str) for item in names):
        return names
    return None


def _shown(value: Any) -> str:
    """``value`` as the JSON staff typed, shortened to stay readable in a form error."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
