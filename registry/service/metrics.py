"""What the service counts and logs: its Prometheus metrics, one registry per app (so two apps in
one process, as in the tests, count apart), and the log line of each verifying request."""

from __future__ import annotations

import json
import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from registry.verification import Verdict

log = logging.getLogger("credreg.service")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.verifications = Counter("credreg_verifications", "Verifications by verdict status", ["status"],
                                     registry=self.registry)
        self.pathway_checks = Counter("credreg_pathway_checks", "Stacks checked against a pathway, by status",
                                      ["status"], registry=self.registry)
        self.latency = Histogram("credreg_verify_seconds", "Time to verify one request", ["route"],
                                 buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1),
                                 registry=self.registry)
        self.indexed_block = Gauge("credreg_indexed_block", "Last block the index reflects", registry=self.registry)
        self.head_block = Gauge("credreg_head_block", "Last head block seen", registry=self.registry)
        self.lag = Gauge("credreg_index_lag_blocks", "Head minus indexed block", registry=self.registry)


def log_verdicts(route: str, verdicts: list[Verdict], started: float, code: int) -> None:
    # No personal data: statuses and timing only, never the credential or its subject.
    if not log.isEnabledFor(logging.INFO):
        return  # the hot path builds no log line nobody reads
    log.info(json.dumps({"event": "verify", "route": route, "code": code, "count": len(verdicts),
                         "statuses": sorted({v.status for v in verdicts}),
                         "ms": round((time.perf_counter() - started) * 1000, 2)}))
