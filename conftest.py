"""Test configuration shared by the whole suite, and the end of its report."""

import io
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

#: Per database vendor, ``<vendor>.txt``: the ids of the tests a run may skip, one a line.
ROOT = Path(__file__).parent
EXPECTED_SKIPS = ROOT / ".ci" / "expected-skips"

#: Tasks run inline in the tests unless TASKS_BACKEND names a backend (CI's second run on RQ).
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def pytest_configure(config):
    if "TASKS_BACKEND" not in os.environ:
        override_settings(TASKS=IMMEDIATE_TASKS).enable()


def pytest_collection_modifyitems(config, items):
    """Skip the tests that need django-entity's syncing when the database is not PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"django-entity's syncing needs PostgreSQL; this run uses {connection.vendor}"
    )
    for item in items:
        if "entity_sync" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session):
    """Fail the run when a test was skipped that the expected skips of this database do not list."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    expected_path = EXPECTED_SKIPS / f"{connection.vendor}.txt"
    expected = set(expected_path.read_text().splitlines())
    unexpected = sorted({report.nodeid for report in reporter.stats.get("skipped", [])} - expected)
    if unexpected:
        reporter.ensure_newline()
    for node_id in unexpected:
        reporter.write_line(f"UNEXPECTED SKIP (not in {expected_path.relative_to(ROOT)}): {node_id}")
    if unexpected:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    """End the run with the coverage of each measured part and with what was not tested, and why.

    A skipped test's lines may still count as covered through other tests, so a full coverage
    figure never says that everything ran: this section does.
    """
    terminalreporter.section("what this run measured and what it left out")
    for line in coverage_lines(config):
        terminalreporter.write_line(line)
    for outcome, verb in (
        ("skipped", "skipped"),
        ("xfailed", "expected to fail"),
        ("xpassed", "expected to fail but passed"),
    ):
        for reason, node_ids in reasons(terminalreporter.stats.get(outcome, [])).items():
            terminalreporter.write_line(f"{len(node_ids)} {verb}: {reason}")
            for path, count in Counter(node_id.split("::")[0] for node_id in node_ids).items():
                terminalreporter.write_line(f"    {path} ({count})")
    if not terminalreporter.stats.get("skipped"):
        terminalreporter.write_line("No test was skipped.")


def coverage_lines(config) -> list[str]:
    """The coverage of each measured part (``--cov`` runs only), and the gate that applied."""
    plugin = config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    if controller is None or controller.cov is None:
        return []
    cov = controller.cov
    parts = cov.config.source or []
    figures = []
    for part in parts:
        try:
            figures.append(f"{part} {cov.report(include=[f'{part}/*'], file=io.StringIO()):.2f}%")
        except Exception:  # noqa: BLE001 - coverage raises NoDataError for a part with no data
            figures.append(f"{part}: no data")
    return [
        f"Coverage (tests and migrations not counted): {', '.join(figures)}; "
        f"gate {cov.config.fail_under:.0f}% of {' + '.join(parts)} on {connection.vendor}."
    ]


def reasons(reports) -> dict[str, list[str]]:
    """Test ids grouped by the reason they were skipped (or expected to fail)."""
    grouped = defaultdict(list)
    for report in reports:
        if isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
        else:
            reason = getattr(report, "wasxfail", "") or str(report.longrepr)
        grouped[reason.removeprefix("reason: ")].append(report.nodeid)
    return dict(grouped)
