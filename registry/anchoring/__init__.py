"""The nightly anchoring job, in three rooms:

- :mod:`registry.anchoring.job`: queued credentials -> Merkle batches -> ``anchorRoot`` -> files,
  crash-safe through the store's journal (invariant 8);
- :mod:`registry.anchoring.writer`: a batch's credential files, each document with its proof;
- :mod:`registry.anchoring.files`: whole files written atomically into one directory (a speed
  trick with a portable fallback, measured in its docstring).
"""

from registry.anchoring.job import PROOF_TYPE, UNFINISHED, AnchorJob, AnchorOptions, AnchorReport, BatchOutcome
from registry.anchoring.writer import credential_file_name

__all__ = ["PROOF_TYPE", "UNFINISHED", "AnchorJob", "AnchorOptions", "AnchorReport", "BatchOutcome",
           "credential_file_name"]
