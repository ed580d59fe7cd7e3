"""The benchmark's CPU steal: the share of a window the hypervisor gave other guests."""

from __future__ import annotations

from bench.cpusteal import cpu_times, steal_pct
from bench.run import steal_summary

# user nice system idle iowait irq softirq steal guest guest_nice
STAT = "cpu  100 0 50 800 10 0 20 20 7 0\ncpu0 50 0 25 400 5 0 10 10 7 0\nintr 1 2\n"


def test_the_total_counts_every_field_up_to_steal_and_not_the_guest_ones():
    assert cpu_times(STAT) == (20, 1000)  # guest (7) is already inside user


def test_an_old_kernel_without_a_steal_field_reads_as_none_stolen():
    assert cpu_times("cpu  100 0 50 850\n") == (0, 1000)


def test_steal_is_the_stolen_share_of_the_window_not_since_boot():
    before = cpu_times(STAT)
    after = cpu_times("cpu  160 0 70 830 10 0 20 60 7 0\n")  # 150 ticks, 40 of them stolen
    assert steal_pct(before, after) == 26.7


def test_without_readings_there_is_no_figure():
    assert steal_pct(None, (5, 10)) is None
    assert steal_pct((5, 10), (5, 10)) == 0.0


def _report(*windows: float | None) -> dict:
    hello, *endpoints = windows
    return {
        "hello": {"steal_pct": hello},
        "engines": {
            "sqlite": {
                "10000": {"endpoints": {str(i): {"steal_pct": s} for i, s in enumerate(endpoints)}}
            }
        },
    }


def test_the_summary_gives_the_median_and_the_highest_window():
    assert steal_summary(_report(2.0, 30.0, 4.0, None)) == "median 4.0 %, highest 30.0 %"


def test_a_report_of_before_steal_was_recorded_says_so():
    assert steal_summary(_report(None, None)) == "not recorded"
