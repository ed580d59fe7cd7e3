"""The benchmark's growth figure: slower at 100,000 tickets than at 10,000, drift aside."""

from __future__ import annotations

import pytest

from bench.run import GROWTH, growth


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
