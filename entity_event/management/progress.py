"""A text progress bar for management commands."""

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Redraws ``label [#####-----] done/total`` on one line as work advances."""

    def __init__(self, out: OutputWrapper, label: str, total: int, width: int = 30):
        self.out, self.label, self.total, self.width = out, label, max(total, 1), width
        self.done = 0
        self._draw()

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total)
        self._draw()

    def finish(self) -> None:
        self.done = self.total
        self._draw()
        self.out.write("", ending="\n")
        self.out.flush()

    def _draw(self) -> None:
        filled = self.width * self.done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r{self.label:<14} [{bar}] {self.done}/{self.total}", ending="")
        self.out.flush()
