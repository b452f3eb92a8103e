"""Fails, naming the files, when `make messages` would change a catalog or a compiled catalog.

The catalogs (entity_event/locale/, demo/locale/) are copied aside, `make messages` extracts and
compiles them again, and each file is compared with its copy, the POT-Creation-Date header of
the .po files aside (it is the time of the run). The committed files are put back either way, so
the check changes nothing in the work tree.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = [ROOT / "entity_event" / "locale", ROOT / "demo" / "locale"]
CREATION_DATE = re.compile(rb'^"POT-Creation-Date: .*\\n"\n', re.MULTILINE)


def files(directory: Path) -> dict[Path, bytes]:
    return {path.relative_to(ROOT): path.read_bytes() for path in sorted(directory.rglob("*.[mp]o"))}


def comparable(path: Path, content: bytes) -> bytes:
    return CREATION_DATE.sub(b"", content) if path.suffix == ".po" else content


def main() -> int:
    before = {path: content for directory in CATALOGS for path, content in files(directory).items()}
    with tempfile.TemporaryDirectory() as aside:
        for directory in CATALOGS:
            shutil.copytree(directory, Path(aside) / directory.relative_to(ROOT))
        try:
            subprocess.run(["make", "--no-print-directory", "messages"], cwd=ROOT, check=True)
            after = {path: content for directory in CATALOGS for path, content in files(directory).items()}
        finally:
            for directory in CATALOGS:
                shutil.rmtree(directory)
                shutil.copytree(Path(aside) / directory.relative_to(ROOT), directory)
    changed = sorted(
        str(path)
        for path in before.keys() | after.keys()
        if comparable(path, before.get(path, b"")) != comparable(path, after.get(path, b""))
    )
    if changed:
        print("make messages would change these catalogs; run it and translate the new entries:")
        print("\n".join(f"  {path}" for path in changed))
        return 1
    print("The catalogs are up to date with the source.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
