"""The Django settings entity_event reads, each read when it is needed (so tests may override it)."""

from django.conf import settings


def default_rendering_style_name() -> str | None:
    """``DEFAULT_ENTITY_EVENT_RENDERING_STYLE``: the style to fall back on, or ``None`` for no fallback."""
    return getattr(settings, "DEFAULT_ENTITY_EVENT_RENDERING_STYLE", None) or None
