"""benchmarks/figures_fresh.py, run in a throwaway git repository."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "figures_fresh.py"
FIGURES = "docs/delivery-figures.inc"


def git(repository: Path, *arguments: str) -> str:
    identity = ("-c", "user.name=Bench", "-c", "user.email=bench@example.com")
    done = subprocess.run(["git", *identity, *arguments], cwd=repository, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit(repository: Path, path: str, text: str) -> str:
    """Write ``text`` to ``path``, commit it, return the short hash."""
    (repository / path).parent.mkdir(parents=True, exist_ok=True)
    (repository / path).write_text(text)
    git(repository, "add", path)
    git(repository, "commit", "-qm", f"Change {path}")
    return git(repository, "rev-parse", "--short", "HEAD")


def figures_fresh(repository: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), FIGURES], cwd=repository, capture_output=True, text=True
    )


def measured_repository(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose delivery figures were measured at the last change to the sending code."""
    git(tmp_path, "init", "-q")
    measured = commit(tmp_path, "entity_event/delivery/sending.py", "def send(): ...\n")
    commit(tmp_path, FIGURES, f"Measured at commit ``{measured}``, from ...\n")
    return tmp_path, measured


def test_figures_measured_after_the_last_change_of_their_code_are_fresh(tmp_path):
    repository, _measured = measured_repository(tmp_path)
    commit(repository, "entity_event/web/inbox_views.py", "# not measured by the delivery figures\n")

    done = figures_fresh(repository)

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Figures fresh: {FIGURES}.\n"


def test_a_change_to_measured_code_after_the_measured_commit_makes_them_stale(tmp_path):
    repository, measured = measured_repository(tmp_path)
    newer = commit(repository, "entity_event/delivery/sending.py", "def send(): return 1\n")

    done = figures_fresh(repository)

    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"{FIGURES}: measured at {measured}, but {newer} touched entity_event/delivery since"
    )


def test_figures_measured_with_uncommitted_changes_are_stale(tmp_path):
    repository, measured = measured_repository(tmp_path)
    commit(repository, FIGURES, f"Measured at commit ``{measured} with uncommitted changes``\n")

    done = figures_fresh(repository)

    assert done.returncode == 1
    assert "which is not a commit of this repository" in done.stderr
