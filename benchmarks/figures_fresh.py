"""Whether each figures file of docs/ was measured at or after the last change to the code it measures.

    python benchmarks/figures_fresh.py                  # every file of MEASURES; exit status 1 if stale
    python benchmarks/figures_fresh.py docs/delivery-figures.inc

Run in the repository to check. A figures file names the commit it was measured at
(``Measured at commit ``abc1234````); it is fresh when the last commit touching each path it
measures is that commit or one of its ancestors. A stale file is named with its commit, the
newer commit and the path that commit touched.
"""

import re
import subprocess
import sys
from pathlib import Path

#: The package code each file measures (the modules its calls run, and the migrations, whose
#: indexes the plans use) and the benchmark code that makes its numbers.
MEASURES = {
    "docs/performance-figures.inc": (
        "entity_event/arguments.py",
        "entity_event/bulk.py",
        "entity_event/context_loader.py",
        "entity_event/context_serializer.py",
        "entity_event/creation.py",
        "entity_event/creation_lock.py",
        "entity_event/databases.py",
        "entity_event/seen_watermark.py",
        "entity_event/deletion.py",
        "entity_event/event_input.py",
        "entity_event/migrations",
        "entity_event/models",
        "entity_event/querysets.py",
        "entity_event/registry.py",
        "entity_event/rendering.py",
        "entity_event/routing.py",
        "benchmarks/database.py",
        "benchmarks/floors.py",
        "benchmarks/measure.py",
        "benchmarks/routing.py",
        "benchmarks/settings_3x.py",
        "benchmarks/shapes.py",
        "benchmarks/world.py",
    ),
    "docs/read-state-figures.inc": (
        "entity_event/arguments.py",
        "entity_event/bulk.py",
        "entity_event/creation.py",
        "entity_event/creation_lock.py",
        "entity_event/databases.py",
        "entity_event/seen_watermark.py",
        "entity_event/inbox.py",
        "entity_event/migrations",
        "entity_event/models",
        "entity_event/querysets.py",
        "entity_event/registry.py",
        "entity_event/routing.py",
        "entity_event/exceptions.py",
        "entity_event/numbers.py",
        "entity_event/web/answers.py",
        "entity_event/web/inbox_views.py",
        "benchmarks/database.py",
        "benchmarks/floors.py",
        "benchmarks/inbox.py",
        "benchmarks/measure.py",
        "benchmarks/world.py",
    ),
    "docs/delivery-figures.inc": (
        "entity_event/app_settings.py",
        "entity_event/bulk.py",
        "entity_event/unsubscribe.py",
        "entity_event/context_loader.py",
        "entity_event/context_serializer.py",
        "entity_event/creation.py",
        "entity_event/creation_lock.py",
        "entity_event/databases.py",
        "entity_event/seen_watermark.py",
        "entity_event/delivery",
        "entity_event/languages.py",
        "entity_event/migrations",
        "entity_event/models",
        "entity_event/rendering.py",
        "entity_event/routing.py",
        "benchmarks/database.py",
        "benchmarks/delivery.py",
    ),
    "docs/history-figures.inc": (
        "entity_event/arguments.py",
        "entity_event/bulk.py",
        "entity_event/creation.py",
        "entity_event/creation_lock.py",
        "entity_event/databases.py",
        "entity_event/event_input.py",
        "entity_event/groups.py",
        "entity_event/inbox.py",
        "entity_event/migrations",
        "entity_event/models",
        "entity_event/querysets.py",
        "entity_event/registry.py",
        "entity_event/retention.py",
        "entity_event/seen_watermark.py",
        "entity_event/routing.py",
        "benchmarks/database.py",
        "benchmarks/floors.py",
        "benchmarks/history.py",
        "benchmarks/measure.py",
        "benchmarks/routing.py",
        "benchmarks/world.py",
    ),
    "docs/capacity-figures.inc": (
        "entity_event/app_settings.py",
        "entity_event/arguments.py",
        "entity_event/bulk.py",
        "entity_event/context_loader.py",
        "entity_event/context_serializer.py",
        "entity_event/creation.py",
        "entity_event/creation_lock.py",
        "entity_event/databases.py",
        "entity_event/delivery",
        "entity_event/event_input.py",
        "entity_event/inbox.py",
        "entity_event/languages.py",
        "entity_event/migrations",
        "entity_event/models",
        "entity_event/querysets.py",
        "entity_event/registry.py",
        "entity_event/rendering.py",
        "entity_event/routing.py",
        "entity_event/seen_watermark.py",
        "entity_event/unsubscribe.py",
        "benchmarks/capacity.py",
        "benchmarks/database.py",
        "benchmarks/delivery.py",
        "benchmarks/floors.py",
        "benchmarks/measure.py",
        "benchmarks/routing.py",
        "benchmarks/world.py",
    ),
    "docs/live-figures.inc": (
        "asgi.py",
        "entity_event/app_settings.py",
        "entity_event/creation.py",
        "entity_event/creation_lock.py",
        "entity_event/databases.py",
        "entity_event/inbox.py",
        "entity_event/live",
        "entity_event/migrations",
        "entity_event/models",
        "entity_event/exceptions.py",
        "entity_event/numbers.py",
        "entity_event/routing.py",
        "entity_event/seen_watermark.py",
        "entity_event/web/answers.py",
        "entity_event/web/entity.py",
        "benchmarks/database.py",
        "benchmarks/live.py",
        "benchmarks/provenance.py",
        "benchmarks/servers.py",
    ),
}

MEASURED_AT = re.compile(r"Measured at commit ``([^`]*)``")


def git(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *arguments], capture_output=True, text=True)


def stale(figures: str) -> list[str]:
    """Why ``figures`` is stale, one line per reason; empty when it is fresh."""
    match = MEASURED_AT.search(Path(figures).read_text())
    if not match:
        return [f"{figures}: no 'Measured at commit' line"]
    measured = match.group(1)
    if git("rev-parse", "--verify", "--quiet", f"{measured}^{{commit}}").returncode:
        return [f"{figures}: measured at {measured!r}, which is not a commit of this repository"]
    reasons = []
    for path in MEASURES[figures]:
        last = git("log", "-1", "--format=%h", "--", path).stdout.strip()
        if last and git("merge-base", "--is-ancestor", last, measured).returncode:
            reasons.append(f"{figures}: measured at {measured}, but {last} touched {path} since")
    return reasons


def main(files: list[str]) -> int:
    reasons = [reason for figures in files or MEASURES for reason in stale(figures)]
    for reason in reasons:
        print(reason, file=sys.stderr)
    if reasons:
        print("Regenerate the figures (make figures) on a quiet machine.", file=sys.stderr)
        return 1
    print(f"Figures fresh: {', '.join(files or MEASURES)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
