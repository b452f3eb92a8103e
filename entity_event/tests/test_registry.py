"""The model classes that the working modules take from the app registry, without an import cycle."""

import ast
from pathlib import Path

import pytest

from entity_event import models as entity_event_models
from entity_event.registry import models


def test_models_are_the_classes_of_the_app():
    assert models.Event is entity_event_models.Event
    assert models.EventSeen is entity_event_models.EventSeen


def test_an_unknown_model_is_an_attribute_error():
    with pytest.raises(AttributeError, match="entity_event has no model 'Nothing'"):
        models.Nothing  # noqa: B018
    assert not hasattr(models, "__wrapped__")


#: The core: the schema of sources, mediums, subscriptions and events, routing, creation,
#: rendering and context loading, and what they need. Capabilities (inbox, delivery and its
#: channels, preferences and unsubscribe links, web views, admin, ...) import the core, never
#: the reverse (docs/architecture.rst).
CORE = {
    "entity_event.app_settings",
    "entity_event.arguments",
    "entity_event.bulk",
    "entity_event.context_loader",
    "entity_event.context_serializer",
    "entity_event.creation",
    "entity_event.creation_lock",
    "entity_event.databases",
    "entity_event.deletion",
    "entity_event.event_input",
    "entity_event.exceptions",
    "entity_event.models.core",
    "entity_event.numbers",
    "entity_event.querysets",
    "entity_event.registry",
    "entity_event.rendering",
    "entity_event.retention",
    "entity_event.routing",
    "entity_event.seen_watermark",
    "entity_event.validators",
}

PACKAGE = Path(entity_event_models.__file__).parent.parent


def imported_modules(module: str) -> set[str]:
    """The entity_event modules that ``module`` imports anywhere: at the top, or inside a function."""
    source = (PACKAGE.parent / (module.replace(".", "/") + ".py")).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("entity_event"):
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            imported |= {name for name in names if is_module(name)} or {node.module}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names if alias.name.startswith("entity_event")}
    return imported


def is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_the_walk_sees_imports_inside_functions():
    assert "entity_event.inbox" in imported_modules("entity_event.apps")
    assert {"entity_event.rendering", "entity_event.routing"} <= imported_modules("entity_event.models.core")


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_imports_nothing_but_the_core(module):
    assert imported_modules(module) <= CORE
