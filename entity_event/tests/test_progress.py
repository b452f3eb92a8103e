"""The progress bar of the demo's commands."""

from io import StringIO

from django.core.management.base import OutputWrapper

from entity_event.management.progress import ProgressBar


def test_the_bar_redraws_one_line_and_ends_it_when_finished():
    out = StringIO()
    bar = ProgressBar(OutputWrapper(out), "events", total=4, width=8)
    bar.advance(2)
    bar.advance(5)  # never past the total
    bar.finish()
    drawn = out.getvalue()
    assert drawn.split("\r")[1:] == [
        "events         [--------] 0/4",
        "events         [####----] 2/4",
        "events         [########] 4/4",
        "events         [########] 4/4\n",
    ]
