"""The service's Prometheus metrics, one registry per app (so two apps in one process, as in the
tests, count apart)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.verifications = Counter("credreg_verifications", "Verifications by verdict status", ["status"],
                                     registry=self.registry)
        self.latency = Histogram("credreg_verify_seconds", "Time to verify one request", ["route"],
                                 buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1),
                                 registry=self.registry)
        self.indexed_block = Gauge("credreg_indexed_block", "Last block the index reflects", registry=self.registry)
        self.head_block = Gauge("credreg_head_block", "Last head block seen", registry=self.registry)
        self.lag = Gauge("credreg_index_lag_blocks", "Head minus indexed block", registry=self.registry)
