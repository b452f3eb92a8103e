"""The public API is the checked-in list of ``public_names.txt``: every name on it exists, and the
demo and the benchmarks, which show how a project uses the app, import no other name of it."""

import ast
from importlib import import_module
from pathlib import Path

NAMES = Path(__file__).with_name("public_names.txt")
ROOT = Path(__file__).resolve().parents[2]


def public_names() -> list[str]:
    lines = (line.strip() for line in NAMES.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def exists(name: str) -> bool:
    """Whether ``name`` is a module, or an attribute reached from the longest module it starts with."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found = import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            if not hasattr(found, part):
                return False
            found = getattr(found, part)
        return True
    return False


def missing(names: list[str]) -> list[str]:
    return [name for name in names if not exists(name)]


def test_every_public_name_exists():
    assert missing(public_names()) == []


def test_a_name_that_disappears_is_named():
    names = [
        "entity_event.models.Medium",
        "entity_event.models.Medium.vanished",
        "entity_event.nowhere.thing",
    ]
    assert missing(names) == ["entity_event.models.Medium.vanished", "entity_event.nowhere.thing"]


def imported_names(path: Path) -> set[str]:
    """The names of entity_event that ``path`` imports, at any depth, test helpers left out (the load
    check of the benchmarks runs the roles of the concurrency test)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "entity_event":
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.split(".")[0] == "entity_event"}
    return {name for name in names if not name.startswith("entity_event.tests.")}


def test_the_demo_and_the_benchmarks_import_public_names_only():
    public = set(public_names())
    private = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted([*ROOT.glob("demo/**/*.py"), *ROOT.glob("benchmarks/*.py")])
        for name in imported_names(path) - public
    }
    assert private == set()


def test_a_private_import_is_found_even_inside_a_function(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "from entity_event.models import Event\n"
        "def page():\n"
        "    from entity_event.web.inbox_views import _older_than\n"
        "    import entity_event.context_loader\n"
    )
    assert imported_names(script) - set(public_names()) == {
        "entity_event.web.inbox_views._older_than",
        "entity_event.context_loader",
    }
