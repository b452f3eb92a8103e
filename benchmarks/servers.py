"""The servers a benchmark measures: ``embedded`` or a DATABASE_URL, each in a child process."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def add_server_option(parser) -> None:
    parser.add_argument(
        "--server",
        action="append",
        help="'embedded' or a DATABASE_URL of a PostgreSQL server; repeat to measure several "
        "(default: $DATABASE_URL, else the embedded server)",
    )


def chosen(servers: list[str] | None) -> list[str]:
    """The servers of ``--server``, else that of DATABASE_URL, else the embedded one."""
    return servers or [os.environ.get("DATABASE_URL") or "embedded"]


def environment(server: str) -> dict:
    """This process's environment with DATABASE_URL naming ``server`` (none for the embedded one)."""
    child = dict(os.environ)
    child.pop("DATABASE_URL", None)
    if server != "embedded":
        child["DATABASE_URL"] = server
    return child


def measure_on(server: str, script: str, arguments: list[str]) -> dict:
    """Run ``script`` with ``arguments`` on ``server`` in a child process, which prints as it goes
    and writes its figures as JSON to the file named by ``--child``; those figures."""
    with tempfile.TemporaryDirectory() as directory:
        output = Path(directory) / "figures.json"
        done = subprocess.run(
            [sys.executable, script, *arguments, "--child", str(output)], env=environment(server)
        )
        if done.returncode or not output.exists():
            sys.exit(f"{Path(script).name} failed on {server} (exit status {done.returncode})")
        return json.loads(output.read_text())
