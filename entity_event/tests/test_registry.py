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


@pytest.mark.parametrize("module", ["routing", "creation"])
def test_modules_that_models_imports_do_not_import_models(module):
    source = Path(entity_event_models.__file__).with_name(f"{module}.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    assert "entity_event.models" not in imported
