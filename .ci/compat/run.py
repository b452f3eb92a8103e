"""Run code written for django-entity-event 3.x against this package.

Downloads, with pip, the wheels of django-entity-event 3.1.0 (whose ``entity_event/tests`` is
the old release's own suite), django-entity-emailer 2.2.0 and django-entity-event-slack 1.1.0,
and runs the three test suites with pytest against our ``entity_event``, ``USE_TZ`` off, on the
project's database (embedded PostgreSQL, or ``DATABASE_URL``).

Everything lives in a temporary directory that is removed afterwards: the wheels, the tools the
old suites need (freezegun, mock, beautifulsoup4 installed with ``pip --target``, never into the
virtualenv), and the unpacked tests. ``stubs/`` holds our stand-ins for what the clients import
but do not test, ``templates/`` the one-line test templates the wheels lack.

Usage: ``.venv/bin/python .ci/compat/run.py [extra pytest arguments]``.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SUITES = ["django-entity-event==3.1.0", "django-entity-emailer==2.2.0", "django-entity-event-slack==1.1.0"]

# What the old suites need to run, beside what the project's requirements install.
TEST_TOOLS = [
    "freezegun==1.5.1",
    "python-dateutil==2.9.0.post0",
    "mock==5.1.0",
    "beautifulsoup4==4.12.3",
    "soupsieve==2.6",
]

OLD = "entity_event/tests/"
LOADER = OLD + "context_loader_tests.py::"
MODELS = OLD + "model_tests.py::"
_PRIVATE = "tests a private helper of 3.x's context loader, which ours does not have"
_MOCKS = "mocks which names a 3.x function calls inside the package, not what it does"
_UUID = "expects no uuid when none is given; ours generates one (docs/migrating.rst)"

#: Tests of the old suite that are not run, each with its reason.
EXCLUDED = {
    # Whole classes that test private helpers of 3.x's context_loader module.
    LOADER + "TestGetDefaultRenderingStyle": _PRIVATE,
    LOADER + "TestGetContextHintsFromSource": _PRIVATE,
    LOADER + "TestGetQuerysetsForContextHints": _PRIVATE,
    LOADER + "TestGetQuerysetsForContextHintsDbTests": _PRIVATE,
    LOADER + "DictFindTest": _PRIVATE,
    LOADER + "GetModelIdsToFetchTest": _PRIVATE,
    LOADER + "FetchModelDataTest": _PRIVATE,
    LOADER + "LoadFetchedObjectsIntoContextsTest": _PRIVATE,
    LOADER + "TestLoadRenderersIntoEvents": _PRIVATE,
    **{
        LOADER + f"LoadContextsAndRenderersTest::test_multiple_render_targets_multiple_events{suffix}": (
            "checks 3.x's private attribute Event._context_renderers (its event.context checks pass)"
        )
        for suffix in ("", "_use_default")
    },
    LOADER + "LoadContextsAndRenderersTest::test_optimal_queries": (
        "expects one renderer's select_related/prefetch_related on the rows of another renderer; "
        "each renderer now gets only its own lookups (issue 10, docs/migrating.rst)"
    ),
    # Tests that replace internals with mocks.
    MODELS + "MediumRenderTest::test_render": _MOCKS
    + " (entity_event.context_loader.load_contexts_and_renderers)",
    **{
        MODELS + f"ContextRendererRenderTextOrHtmlTemplateTest::test_w_{kind}_template": _MOCKS
        + " (django.template.Template)"
        for kind in ("html", "text")
    },
    **{
        MODELS + f"ContextRendererRenderTextOrHtmlTemplateTest::test_w_{kind}_template_path": _MOCKS
        + " (entity_event.models.render_to_string)"
        for kind in ("html", "text")
    },
    MODELS + "ContextRendererGetSerializedContextTests::test_get_serialized_context": _MOCKS
    + " (entity_event.models.DefaultContextSerializer, now also given the renderer's hints)",
    # The documented uuid change.
    MODELS + "EventManagerCreateEventTest::test_create_event_no_actors": _UUID,
    MODELS + "EventManagerCreateEventTest::test_ignore_duplicates_wo_uuid_already_exist": _UUID,
}


#: Tests that another helper's change makes pass; each entry goes once that change is merged.
def main(pytest_args: list[str]) -> int:
    work = Path(tempfile.mkdtemp(prefix="entity-event-compat-"))
    try:
        return run(work, pytest_args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, pytest_args: list[str]) -> int:
    wheels, tools, old, apps = work / "wheels", work / "tools", work / "old", work / "apps"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "download", "--no-deps", "--dest", wheels, *SUITES], check=True)
    subprocess.run([*pip, "install", "--no-deps", "--target", tools, *TEST_TOOLS], check=True)
    unpack(wheels, old, apps)

    print("--- Tests of the old suites not run, with their reasons:")
    for test, reason in EXCLUDED.items():
        print(f"    {test}: {reason}")
    (work / "pytest.ini").write_text(
        "[pytest]\npython_files = *_tests.py test_*.py\naddopts = -p no:cacheprovider -p no:warnings\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(map(str, [HERE, HERE / "stubs", tools, apps])),
        "DJANGO_SETTINGS_MODULE": "compat_settings",
        "OLD_SUITE_DIR": str(old),
    }
    deselect = [f"--deselect=old/{test}" for test in EXCLUDED]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        work / "pytest.ini",
        "--rootdir",
        work,
        "-rfEs",
        *deselect,
        old / OLD,
        apps / "entity_emailer" / "tests",
        apps / "entity_event_slack" / "tests",
        *pytest_args,
    ]
    return subprocess.run(command, env=env, cwd=work).returncode


def unpack(wheels: Path, old: Path, apps: Path) -> None:
    """The old suite into ``old`` (the 3.x package itself is left out), the clients into ``apps``."""
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            names = [name for name in archive.namelist() if ".dist-info/" not in name]
            if wheel.name.startswith("django_entity_event-"):
                archive.extractall(old, [name for name in names if name.startswith(OLD)])
            else:
                archive.extractall(apps, names)
    # Lets pytest name the modules entity_event.tests.*; this file is never imported, since our
    # entity_event is imported first and finds the old tests through its extended __path__.
    (old / "entity_event" / "__init__.py").touch()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
