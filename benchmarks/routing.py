"""Benchmark of event creation and routing, each figure next to its floor.

The floor of an operation is a plain queryset fetching the same rows by primary key (for
``create_events``: a plain ``bulk_create`` of the same rows): what any implementation pays at
least to hand those rows to Python. Every world lives in a throwaway database, in a child
process of its own, so that the peak memory of one world does not hide in another's.

    python benchmarks/routing.py            # the full run: tables, docs table and plot
    python benchmarks/routing.py --quick    # small sizes, printed only
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from database import ROOT, setup_django, throwaway_database

#: (users, events, sources, broadcast sources) of each world; quick runs divide users and events.
STANDARD = (500, 2000, 10, 5)
LARGE = (5000, 20000, 16, 1)
GROWTH_BASE = (250, 500, 10, 5)
GROWTH = [("1x", 1, 1), ("4x events", 1, 4), ("16x events", 1, 16), ("4x users", 4, 1), ("16x users", 16, 1)]
QUICK_DIVISOR = 5

DOCS_TABLE = ROOT / "docs" / "performance-figures.inc"
DOCS_PLOT = ROOT / "docs" / "_static" / "performance.png"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes; print only, write no docs files")
    parser.add_argument("--world", help=argparse.SUPPRESS)  # run one world in this process, print JSON
    arguments = parser.parse_args()
    if arguments.world:
        setup_django()
        print(json.dumps(run_world(json.loads(arguments.world))))
        return
    divisor = QUICK_DIVISOR if arguments.quick else 1
    runs = 3 if arguments.quick else 5
    results = {"standard": in_child(world_spec("standard", STANDARD, divisor, runs))}
    print_table("Standard world", results["standard"])
    results["growth"] = [
        in_child(world_spec(name, scaled(GROWTH_BASE, users, events), divisor, 3, growth=True))
        for name, users, events in GROWTH
    ]
    print_growth(results["growth"])
    results["large"] = in_child(world_spec("large", LARGE, divisor, 2, large=True))
    print_table("Large world (streamed with iter_events_targets)", results["large"])
    if not arguments.quick:
        write_docs(results)


def scaled(sizes: tuple, users: int, events: int) -> tuple:
    base_users, base_events, *rest = sizes
    return (base_users * users, base_events * events, *rest)


def world_spec(name: str, sizes: tuple, divisor: int, runs: int, **flags) -> dict:
    users, events, sources, broadcast = sizes
    return {
        "name": name,
        "users": users // divisor,
        "events": events // divisor,
        "sources": sources,
        "broadcast": broadcast,
        "runs": runs,
        **flags,
    }


def in_child(spec: dict) -> dict:
    """Run one world in a fresh Python process and return its figures."""
    print(f"... {spec['name']}: {spec['users']:,} users, {spec['events']:,} events", file=sys.stderr)
    done = subprocess.run(
        [sys.executable, __file__, "--world", json.dumps(spec)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)


# One world, in the child process.


def run_world(spec: dict) -> dict:
    from django.conf import settings

    with throwaway_database("entity_event_bench"):
        from world import build_world, plan_events

        world = build_world(spec["users"], spec["sources"], spec["broadcast"])
        requests = plan_events(world, spec["events"])
        rows = {"creation": creation_rows(requests, spec["runs"])}
        analyze()
        if spec.get("growth"):
            rows["events_targets(seen=False)"] = targets_rows(world, spec["runs"])[
                "events_targets(seen=False)"
            ]
        elif spec.get("large"):
            rows.update(large_rows(world, spec["runs"]))
        else:
            rows.update(routing_rows(world, spec["runs"]))
        return {
            "spec": spec,
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "pairs": count_pairs(world),
            "max_rss_mb": max_rss_mb(),
            "rows": rows,
        }


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum does on a live database after bulk writes."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def creation_rows(requests: list[dict], runs: int) -> dict:
    """``create_events`` against ``bulk_create`` of the same events and actors."""
    from measure import compare
    from world import create_planned_events

    from entity_event.models import Event, EventActor

    def delete_events():
        EventActor.objects.all().delete()
        Event.objects.all().delete()

    def plain_bulk_create():
        events = Event.objects.bulk_create(
            Event(source=r["source"], context=r["context"], uuid=r["uuid"]) for r in requests
        )
        actors = EventActor.objects.bulk_create(
            EventActor(event=event, entity=actor)
            for event, r in zip(events, requests, strict=True)
            for actor in r["actors"]
        )
        return len(events) + len(actors)

    # The last (traced) run of create_events leaves the world's events in place.
    return compare(lambda: create_planned_events(requests), plain_bulk_create, runs, reset=delete_events)


def fetch_events(ids: list[int]) -> int:
    from entity_event.models import Event

    return len(list(Event.objects.filter(id__in=ids).order_by("-time", "-id")))


def routing_rows(world, runs: int) -> dict:
    """events, entity_events and (below) events_targets, each next to its floor."""
    from measure import compare

    medium, user = world.newsfeed, world.users[12]
    rows = {}
    for name, query in (
        ("events()", lambda: medium.events()),
        ("entity_events(user)", lambda: medium.entity_events(user)),
        ("entity_events(user, seen=False)", lambda: medium.entity_events(user, seen=False)),
    ):
        ids = [event.id for event in query()]
        rows[name] = compare(lambda query=query: len(list(query())), lambda ids=ids: fetch_events(ids), runs)
    rows.update(targets_rows(world, runs))
    rows["render(200 events)"] = render_row(world, runs)
    return rows


def targets_rows(world, runs: int) -> dict:
    """events_targets(seen=False), with and without mark_seen; the floor fetches events and targets."""
    from entity.models import Entity
    from measure import compare

    from entity_event.models import EventSeen

    medium = world.newsfeed
    pairs = medium.events_targets(seen=False)
    event_ids = [event.id for event, _targets in pairs]
    target_ids = list({target.id for _event, targets in pairs for target in targets})
    del pairs

    def count(pairs) -> int:
        return sum(len(targets) for _event, targets in pairs)

    def floor() -> int:
        return fetch_events(event_ids) + len(list(Entity.all_objects.filter(id__in=target_ids)))

    def floor_marking() -> int:
        rows = floor()
        EventSeen.objects.bulk_create(
            [EventSeen(event_id=event_id, medium=medium) for event_id in event_ids], ignore_conflicts=True
        )
        return rows

    def unsee():
        EventSeen.objects.filter(medium=medium).delete()

    return {
        "events_targets(seen=False)": compare(lambda: count(medium.events_targets(seen=False)), floor, runs),
        "events_targets(seen=False, mark_seen=True)": compare(
            lambda: count(medium.events_targets(seen=False, mark_seen=True)), floor_marking, runs, reset=unsee
        ),
    }


TEXT_TEMPLATE = "{{ title }} #{{ number }}"
HTML_TEMPLATE = "<b>{{ title }}</b> #{{ number }}"


def render_row(world, runs: int) -> dict | None:
    """Medium.render of the 200 newest events, when this version of entity_event has it.

    Its floor fetches the same events and renders the same two templates with Django's template
    engine directly: rendering is mostly template work, which no implementation avoids.
    """
    from entity_event.models import Medium

    if not hasattr(Medium, "render"):
        return None
    from django.template import Context, Template
    from measure import compare

    from entity_event.models import ContextRenderer, Event, RenderingStyle

    style = RenderingStyle.objects.create(name="bench-short", display_name="Short")
    ContextRenderer.objects.create(
        name="bench-renderer",
        text_template=TEXT_TEMPLATE,
        html_template=HTML_TEMPLATE,
        source_group=world.sources[0].group,
        rendering_style=style,
    )
    world.newsfeed.rendering_style = style
    world.newsfeed.save()
    ids = list(world.newsfeed.events().values_list("id", flat=True)[:200])

    def plain_rendering() -> int:
        text, html = Template(TEXT_TEMPLATE), Template(HTML_TEMPLATE)
        events = list(Event.objects.filter(id__in=ids).order_by("-time", "-id"))
        return len([(text.render(Context(e.context)), html.render(Context(e.context))) for e in events])

    return compare(
        lambda: len(world.newsfeed.render(Event.objects.filter(id__in=ids))), plain_rendering, runs
    )


def large_rows(world, runs: int) -> dict:
    """The large world: one user's feed, and every pair streamed by iter_events_targets."""
    from entity.models import Entity
    from measure import compare

    from entity_event.models import Event

    medium = world.newsfeed

    def stream() -> int:
        return sum(len(targets) for _event, targets in medium.iter_events_targets(seen=False))

    def floor() -> int:
        events = sum(1 for _event in Event.objects.order_by("-time", "-id").iterator(chunk_size=2000))
        return events + len(list(Entity.all_objects.all()))

    user = world.users[12]
    feed_ids = [event.id for event in medium.entity_events(user)]
    return {
        "entity_events(user)": compare(
            lambda: len(list(medium.entity_events(user))), lambda: fetch_events(feed_ids), runs
        ),
        "iter_events_targets(seen=False)": compare(stream, floor, runs),
    }


def count_pairs(world) -> int:
    return sum(len(targets) for _event, targets in world.newsfeed.iter_events_targets())


def max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Reports.

COLUMNS = ("operation", "rows", "time", "floor", "ratio", "queries", "floor q.", "peak MB", "floor MB")


def table_lines(result: dict) -> list[tuple]:
    lines = []
    for name, row in result["rows"].items():
        if row is None:
            lines.append((name, "not available in this version", "", "", "", "", "", "", ""))
            continue
        mine, floor = row["mine"], row["floor"]
        label = "create_events" if name == "creation" else name
        lines.append(
            (
                label,
                f"{mine['rows']:,}",
                seconds(mine["seconds"]),
                seconds(floor["seconds"]),
                f"{mine['seconds'] / floor['seconds']:.2f}",
                str(mine["queries"]),
                str(floor["queries"]),
                f"{mine['peak_mb']:.1f}",
                f"{floor['peak_mb']:.1f}",
            )
        )
    return lines


def seconds(value: float) -> str:
    # A no-break space keeps the unit beside its number in narrow HTML table cells.
    return f"{value * 1000:.0f}\u00a0ms" if value < 1 else f"{value:.2f}\u00a0s"


def caption(result: dict) -> str:
    spec = result["spec"]
    return (
        f"{spec['users']:,} users, {spec['events']:,} events, {result['pairs']:,} (event, target) pairs "
        f"on the newsfeed; {result['database']}; process peak RSS {result['max_rss_mb']:.0f} MB"
    )


def print_table(title: str, result: dict) -> None:
    print(f"\n{title}: {caption(result)}")
    print(plain_table(COLUMNS, table_lines(result)))


GROWTH_COLUMNS = ("world", "users", "events", "pairs", "time", "floor", "µs per pair", "queries")


def growth_lines(results: list[dict]) -> list[tuple]:
    lines = []
    for result in results:
        row = result["rows"]["events_targets(seen=False)"]
        lines.append(
            (
                result["spec"]["name"],
                f"{result['spec']['users']:,}",
                f"{result['spec']['events']:,}",
                f"{result['pairs']:,}",
                seconds(row["mine"]["seconds"]),
                seconds(row["floor"]["seconds"]),
                f"{row['mine']['seconds'] / max(result['pairs'], 1) * 1e6:.2f}",
                str(row["mine"]["queries"]),
            )
        )
    return lines


def print_growth(results: list[dict]) -> None:
    print("\nGrowth of events_targets(seen=False)")
    print(plain_table(GROWTH_COLUMNS, growth_lines(results)))


def plain_table(columns: tuple, lines: list[tuple]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *lines, strict=True)]
    rule = "  ".join("=" * width for width in widths)
    render = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    header = "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip()
    return "\n".join([rule, header, rule, *render, rule])


def write_docs(results: dict) -> None:
    """The reStructuredText tables included by docs/performance.rst, and the plot."""
    sections = [
        ("Standard world", results["standard"], table_lines, COLUMNS),
        ("Large world, streamed", results["large"], table_lines, COLUMNS),
    ]
    text = [".. Written by benchmarks/routing.py (make bench); do not edit by hand.", ""]
    for title, result, lines, columns in sections:
        text += [f"**{title}**: {caption(result)}.", "", plain_table(columns, lines(result)), ""]
    text += [
        "**Growth** of ``events_targets(seen=False)``:",
        "",
        plain_table(GROWTH_COLUMNS, growth_lines(results["growth"])),
        "",
    ]
    DOCS_TABLE.parent.mkdir(parents=True, exist_ok=True)
    DOCS_TABLE.write_text("\n".join(text))
    plot(results["growth"], DOCS_PLOT)
    print(f"\nWrote {DOCS_TABLE.relative_to(ROOT)} and {DOCS_PLOT.relative_to(ROOT)}")


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=100)
    for growing, marker in (("events", "o"), ("users", "s")):
        chosen = [r for r in results if r["spec"]["name"] == "1x" or r["spec"]["name"].endswith(growing)]
        pairs = [r["pairs"] for r in chosen]
        row = [r["rows"]["events_targets(seen=False)"] for r in chosen]
        axes.plot(
            pairs, [x["mine"]["seconds"] for x in row], marker=marker, label=f"events_targets, more {growing}"
        )
        axes.plot(
            pairs,
            [x["floor"]["seconds"] for x in row],
            marker=marker,
            linestyle="--",
            label=f"floor, more {growing}",
        )
    base = next(r for r in results if r["spec"]["name"] == "1x")
    base_seconds = base["rows"]["events_targets(seen=False)"]["mine"]["seconds"]
    widest = max(r["pairs"] for r in results)
    axes.plot(
        [base["pairs"], widest],
        [base_seconds, base_seconds * widest / base["pairs"]],
        color="grey",
        linestyle=":",
        label="linear in pairs, from 1x",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("(event, target) pairs returned")
    axes.set_ylabel("seconds (median)")
    axes.set_title("events_targets(seen=False): time against output size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


if __name__ == "__main__":
    main()
