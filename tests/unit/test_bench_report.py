"""The benchmark's figures: growth from 10,000 to 100,000 tickets with the machine's drift
aside, the median of an endpoint's windows, and the targets judged from them."""

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


def test_on_a_steady_machine_the_judged_growth_is_the_raw_one():
    assert growth(_figures(1000, 5.0), _figures(800, 5.5), 1.0) == (1.25, 1.25)
    assert growth(_figures(1000, 5.0), _figures(1000, 6.5), 1.0) == (1.3, 1.3)  # p95 worse


def test_a_machine_slower_beside_the_large_block_is_not_counted_as_growth():
    judged, raw = growth(_figures(1000, 5.0), _figures(800, 6.25), drift=0.8)  # hello -20 %
    assert raw == pytest.approx(1.25)
    assert raw > GROWTH
    assert judged == pytest.approx(1.0)


def test_a_machine_faster_beside_the_large_block_does_not_hide_growth():
    judged, raw = growth(_figures(1000, 5.0), _figures(1000, 5.0), drift=1.3)  # hello +30 %
    assert raw == 1.0
    assert judged == pytest.approx(1.3)
    assert judged > GROWTH


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
    # The same share at both sizes; the machine ran hello 40 % slower beside the large one.
    small = {name: _window(1200, 8.0, 4000) for name in ENDPOINT_NAMES}
    large = {name: _window(720, 8.0, 2400) for name in ENDPOINT_NAMES}
    rows = _rows(_report(small, large))
    assert rows["api_list ≥ 25% of hello"] == ("30.0%", True)
    assert rows["api_detail ≥ 30% of hello"] == ("30.0%", True)
    judged, met = rows[f"api_list 100k within {GROWTH}× of 10k"]
    assert judged == "1.00× (raw 1.67×)"
    assert met


def test_growth_beside_an_unchanged_ceiling_is_counted():
    small = {name: _window(1200, 8.0, 4000) for name in ENDPOINT_NAMES}
    large = {name: _window(900, 8.0, 4000) for name in ENDPOINT_NAMES}
    assert _rows(_report(small, large))[f"api_list 100k within {GROWTH}× of 10k"] == (
        "1.33× (raw 1.33×)",
        False,
    )


def test_a_share_below_its_target_is_not_met():
    small = {name: _window(1200, 8.0, 4000) for name in ENDPOINT_NAMES}
    large = dict(small, html_list=_window(700, 8.0, 4000))
    assert _rows(_report(small, large))["html_list ≥ 20% of hello"] == ("17.5%", False)


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
