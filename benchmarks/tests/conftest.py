"""The benchmark scripts import each other by module name, as when run from benchmarks/."""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))
