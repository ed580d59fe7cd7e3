"""CPU time the hypervisor gave to other guests ("steal"), read from /proc/stat.

On a shared virtual machine a run can lose a third of its CPU to its neighbours for
minutes. The report shows the share lost in each measured window, so a slow figure
of the code can be told from a slow machine.
"""

from __future__ import annotations

from pathlib import Path

STAT = Path("/proc/stat")

CpuTimes = tuple[int, int]  # (steal, total) clock ticks of all CPUs since boot


def cpu_times(stat: str | None = None) -> CpuTimes | None:
    """(steal, total) from the `cpu` line of /proc/stat; None where there is none."""
    if stat is None:
        try:
            stat = STAT.read_text()
        except OSError:
            return None
    # user nice system idle iowait irq softirq steal [guest guest_nice]: the guest
    # fields are already counted in user and nice, so the total stops at steal.
    ticks = [int(field) for field in stat.splitlines()[0].split()[1:9]]
    steal = ticks[7] if len(ticks) > 7 else 0
    return steal, sum(ticks)


def steal_pct(before: CpuTimes | None, after: CpuTimes | None) -> float | None:
    """The share of CPU time stolen between two readings, in per cent (one decimal)."""
    if before is None or after is None:
        return None
    total = after[1] - before[1]
    if total <= 0:
        return 0.0
    return round(100 * (after[0] - before[0]) / total, 1)
