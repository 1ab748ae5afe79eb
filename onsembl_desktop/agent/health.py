"""The agent's health figures for AGENT_HEARTBEAT: CPU and memory of the agent and its children."""

from __future__ import annotations

import psutil  # type: ignore[import-untyped, unused-ignore]


class HealthSampler:
    """CPU (percent of one core) and resident memory (MB) of this process and all its descendants.

    psutil measures CPU between two calls on the same ``Process`` object, so the objects are kept
    from one sample to the next; a child seen for the first time counts from its second sample.
    """

    def __init__(self) -> None:
        self._me = psutil.Process()
        self._known: dict[int, psutil.Process] = {self._me.pid: self._me}
        self._me.cpu_percent(None)

    def sample(self) -> tuple[float, float]:
        try:
            procs = [self._me, *self._me.children(recursive=True)]
        except psutil.Error:
            procs = [self._me]
        cpu, rss = 0.0, 0
        known: dict[int, psutil.Process] = {}
        for proc in procs:
            kept = self._known.get(proc.pid)
            if kept is None or not kept.is_running():  # new (or a reused pid)
                kept = proc
            try:
                with kept.oneshot():
                    cpu += kept.cpu_percent(None)
                    rss += kept.memory_info().rss
            except psutil.Error:
                continue
            known[proc.pid] = kept
        self._known = known
        return round(cpu, 1), round(rss / (1024 * 1024), 1)
