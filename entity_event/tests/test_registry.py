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


#: Capabilities built on the core; the core reaches them only through the thin entry points
#: the contracts put on ``Medium`` (``inbox``, ``deliver``), which import them when called.
CAPABILITIES = ("inbox", "preferences", "channels", "delivery", "web", "urls")


def imported_modules(module: str) -> set[str]:
    """The modules (and module attributes) that ``entity_event/<module>.py`` imports when it is loaded."""
    source = Path(entity_event_models.__file__).with_name(f"{module}.py").read_text()
    imported = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    return imported


def modules_models_imports() -> set[str]:
    """The entity_event modules that loading ``models.py`` loads, directly or through each other."""
    found, todo = set(), ["models"]
    while todo:
        for name in imported_modules(todo.pop()):
            module = name.removeprefix("entity_event.").split(".")[0]
            if name.startswith("entity_event.") and module not in found | {"models", "registry"}:
                if Path(entity_event_models.__file__).with_name(f"{module}.py").exists():
                    found.add(module)
                    todo.append(module)
    return found


def test_models_needs_the_working_modules():
    assert {"routing", "creation", "rendering", "context_loader", "querysets"} <= modules_models_imports()


@pytest.mark.parametrize("module", sorted(modules_models_imports()))
def test_modules_that_models_imports_do_not_import_models(module):
    assert "entity_event.models" not in imported_modules(module)


@pytest.mark.parametrize("module", sorted(modules_models_imports() | {"models", "admin"}))
def test_the_core_loads_no_capability(module):
    capabilities = tuple(f"entity_event.{capability}." for capability in CAPABILITIES)
    loaded = {name for name in imported_modules(module) if f"{name}.".startswith(capabilities)}
    assert not loaded
