"""CollectorMirror copies scrape-time figures into metrics of the same names: counters by what
they grew, gauges as they are, labels kept; a collector that fails is skipped."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from stack_cfo.telemetry.metrics import CollectorMirror


class _Figures(Collector):
    def __init__(self) -> None:
        self.hits = 0.0
        self.open = 0.0

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield CounterMetricFamily("t_mirror_hits", "hits", value=self.hits)
        g = GaugeMetricFamily("t_mirror_open", "open", labels=["kind"])
        g.add_metric(["watch"], self.open)
        yield g


class _Broken(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        raise RuntimeError("pool closed")


def _value(mirror: CollectorMirror, name: str, *labels: str) -> float:
    metric = mirror._metrics[name]
    child = metric.labels(*labels) if labels else metric
    return float(child._value.get())


def test_counters_grow_by_the_difference_and_gauges_follow() -> None:
    figures = _Figures()
    mirror = CollectorMirror(lambda: (figures, _Broken(), None))
    figures.hits, figures.open = 5, 3
    mirror.mirror()
    assert _value(mirror, "t_mirror_hits") == 5
    assert _value(mirror, "t_mirror_open", "watch") == 3
    figures.hits, figures.open = 12, 1
    mirror.mirror()
    mirror.mirror()  # nothing changed: nothing added
    assert _value(mirror, "t_mirror_hits") == 12
    assert _value(mirror, "t_mirror_open", "watch") == 1
