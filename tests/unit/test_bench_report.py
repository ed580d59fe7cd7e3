"""The benchmark's figures: growth from 10,000 to 100,000 tickets judged round by round
(the machine's drift aside), the median of an endpoint's windows, and the targets."""

from __future__ import annotations

import pytest

from bench import run
from bench.run import (
    ENDPOINTS,
    GROWTH,
    HELLO_SECONDS,
    ROUNDS,
    growth,
    markdown,
    median_window,
    side_by_side,
    target_rows,
)

ENDPOINT_NAMES = [name for name, _path, _auth in ENDPOINTS]


def _figures(rps: float, p95_ms: float) -> dict:
    return {"rps": rps, "p95_ms": p95_ms}


def _paired(rounds: list[tuple[float, float]]) -> dict:
    """An endpoint's figure from windows of (req/s, p95 ms), as median_window makes it."""
    return median_window([_figures(rps, p95) for rps, p95 in rounds])


def test_growth_is_the_worse_of_the_rps_and_p95_ratios():
    assert growth(_figures(1000, 5.0), _figures(800, 5.5)) == (1.25, 1.25)
    assert growth(_figures(1000, 5.0), _figures(1000, 6.5)) == (1.3, 1.3)  # p95 worse


def test_a_machine_that_changes_speed_between_rounds_is_not_counted_as_growth():
    # Each round both sizes ran at the same speed; the machine ran 40 % slower in the
    # later rounds, where more of the large size's windows happened to fall.
    small = _paired([(1000, 5.0), (1000, 5.0), (600, 8.0), (1000, 5.0), (600, 8.0)])
    large = _paired([(1000, 5.0), (600, 8.0), (600, 8.0), (600, 8.0), (1000, 5.0)])
    paired, of_medians = growth(small, large)
    assert of_medians == pytest.approx(1000 / 600)
    assert paired == pytest.approx(1.0)


def test_growth_in_every_round_is_counted():
    small = _paired([(1000, 5.0), (600, 8.0), (900, 6.0)])
    large = _paired([(800, 5.0), (480, 8.0), (720, 6.0)])
    paired, _ = growth(small, large)
    assert paired == pytest.approx(1.25)
    assert paired > GROWTH


def test_growth_in_one_round_alone_does_not_decide_it():
    small = _paired([(1000, 5.0), (1000, 5.0), (1000, 5.0)])
    large = _paired([(500, 10.0), (1000, 5.0), (990, 5.1)])
    paired, _ = growth(small, large)
    assert paired == pytest.approx(1.02)


# ---------------------------------------------------------------- windows and targets


def _window(rps: float, p95_ms: float, hello_rps: float, steal: float | None = 0.0) -> dict:
    return {
        "rps": rps,
        "p50_ms": p95_ms / 2,
        "p95_ms": p95_ms,
        "p99_ms": p95_ms * 1.5,
        "requests": int(rps * 4),
        "errors": 0,
        "non_2xx": 0,
        "steal_pct": steal,
        "hello_rps": hello_rps,
        "share": round(rps / hello_rps, 4),
    }


def test_one_stalled_window_does_not_decide_the_figure():
    stalled = _window(472, 5369.0, 4000, steal=0.9)  # a 6-second pause of the machine
    summary = median_window([_window(850, 6.0, 4000), stalled, _window(860, 6.5, 4100)])
    assert summary["rps"] == 850
    assert summary["p95_ms"] == 6.5
    assert summary["share"] == pytest.approx(860 / 4100, abs=1e-4)  # each window by its own
    assert summary["requests"] == (850 + 472 + 860) * 4
    assert summary["steal_pct"] == 0.9  # the highest any window saw
    assert len(summary["windows"]) == 3


def test_counts_only_some_windows_have_are_left_out():
    approvals = [dict(_window(200, 50.0, 3000), refused=2, failed=0) for _ in range(3)]
    assert median_window(approvals)["refused"] == 6
    assert "refused" not in median_window([_window(100, 5.0, 3000)] * 3)


def test_a_window_without_a_steal_reading_gives_none():
    assert median_window([_window(100, 5.0, 3000, steal=None)] * 3)["steal_pct"] is None


def _block(figures: dict) -> dict:
    return {"endpoints": figures, "worker_rss_mb": 120}


def _report(small: dict, large: dict) -> dict:
    return {
        "when": "now",
        "machine": "2 cores",
        "seconds": 4,
        "hello": {"rps": 4000.0, "steal_pct": 0.0},
        "engines": {"sqlite": {"10000": _block(small), "100000": _block(large)}},
        "settlement": {},
    }


def _rows(report: dict) -> dict[str, tuple[str, bool]]:
    return {target: (figure, met) for target, _engine, figure, met in target_rows(report)}


def test_the_share_of_hello_is_judged_against_each_endpoints_own_ceiling():
    small = {name: _window(1200, 8.0, 4000) for name in ENDPOINT_NAMES}
    large = {name: _window(720, 8.0, 2400) for name in ENDPOINT_NAMES}
    large["api_detail"] = _window(456, 8.0, 2400)  # 19 %: just under its floor
    rows = _rows(_report(small, large))
    assert rows["api_list ≥ 15% of hello"] == ("30.0%", True)
    assert rows["html_list ≥ 8% of hello"] == ("30.0%", True)
    assert rows["api_detail ≥ 20% of hello"] == ("19.0%", False)


def _endpoint(rounds: list[tuple[float, float]]) -> dict:
    """An endpoint's figure of several rounds' windows, the way measure_engine keeps it."""
    return median_window([_window(rps, p95, 4000) for rps, p95 in rounds])


def test_growth_targets_are_judged_round_by_round():
    small = {name: _endpoint([(1200, 8.0), (700, 12.0), (1200, 8.0)]) for name in ENDPOINT_NAMES}
    flat = {name: _endpoint([(1200, 8.0), (700, 12.0), (700, 12.0)]) for name in ENDPOINT_NAMES}
    rows = _rows(_report(small, flat))
    assert rows[f"api_list 100k within {GROWTH}× of 10k"] == ("1.00× (of medians 1.71×)", True)
    slower = {name: _endpoint([(900, 8.0), (525, 12.0), (900, 8.0)]) for name in ENDPOINT_NAMES}
    rows = _rows(_report(small, slower))
    assert rows[f"dashboard 100k within {GROWTH}× of 10k"] == ("1.33× (of medians 1.33×)", False)


def test_a_share_below_its_target_is_not_met():
    small = {name: _window(1200, 8.0, 4000) for name in ENDPOINT_NAMES}
    large = dict(small, html_list=_window(300, 8.0, 4000))
    assert _rows(_report(small, large))["html_list ≥ 8% of hello"] == ("7.5%", False)


def test_the_markdown_report_shows_each_windows_median_and_its_ceiling():
    small = {name: _window(1200, 8.0, 4000) for name in ENDPOINT_NAMES}
    text = markdown(_report(small, small))
    assert "| sqlite | 100,000 | api_list | 1,200 | 4,000 | 30.0 % | 4.0 | 8.0 | 12.0 | 0 |" in text
    assert f"{ROUNDS} rounds of a {HELLO_SECONDS}-s window of the ceiling" in text
    assert "then a 4-s window of each size" in text


# ---------------------------------------------------------------- sizes side by side


def test_each_round_measures_every_size_beside_one_hello_in_a_turning_order(monkeypatch):
    seen: list[str] = []
    hellos = iter([4000.0, 2000.0, 3000.0])

    def fake_wrk(path: str, _headers: dict, seconds: int, port: int) -> dict:
        assert (path, seconds, port) == ("/hello", HELLO_SECONDS, run.HELLO_PORT)
        seen.append("hello")
        return {"rps": next(hellos)}

    def measure(name: str, rps: float) -> dict:
        seen.append(name)
        return {"rps": rps}

    monkeypatch.setattr(run, "wrk", fake_wrk)
    windows = side_by_side(
        {10: lambda: measure("small", 1000), 100: lambda: measure("large", 800)}, 3
    )
    assert seen == ["hello", "small", "large", "hello", "large", "small", "hello", "small", "large"]
    assert [w["hello_rps"] for w in windows[100]] == [4000.0, 2000.0, 3000.0]
    assert [w["share"] for w in windows[10]] == [0.25, 0.5, 0.3333]
