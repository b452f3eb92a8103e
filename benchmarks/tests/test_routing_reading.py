"""benchmarks/routing.py: the reading table and its verdict, with 3.1.0's calls measured or stopped."""

from routing import reading_lines, reading_verdict


def row(mine: float, floor: float) -> dict:
    return {
        "mine": {"seconds": mine, "rows": 100, "queries": 1},
        "floor": {"seconds": floor, "rows": 100, "queries": 1},
    }


def reading(legacy: dict) -> dict:
    spec = {"users": 8000, "events": 32000}
    return {16: {"": {"spec": spec, "rows": {"events()": row(0.5, 0.4)}}, " 3.1.0": {"rows": legacy}}}


def test_a_stopped_call_of_3_1_0_is_reported_as_slower_than_its_limit():
    stopped = reading({"events()": {"stopped": 120}})

    (line,) = reading_lines(stopped)

    assert line[3:5] == ("over 120 s (stopped)", "over 240")
    assert reading_verdict(stopped).endswith("Met by every call.")


def test_a_measured_call_of_3_1_0_is_compared_by_its_median():
    measured = reading({"events()": row(0.8, 0.4)})

    (line,) = reading_lines(measured)

    assert line[4] == "1.6"
    assert "events() at 16x is 1.6 times faster than 3.1.0" in reading_verdict(measured)
