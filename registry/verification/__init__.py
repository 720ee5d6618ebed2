"""Verification: pure logic over a chain view (no RPC per call), returning the published verdict.

- :mod:`registry.verification.checks`: :func:`verify`, one named check after another;
- :mod:`registry.verification.verdict`: :class:`Verdict` and :class:`Check`, the typed results.
"""

from registry.verification.checks import MAX_PATH_STEPS, Document, verify
from registry.verification.verdict import Check, Verdict

__all__ = ["MAX_PATH_STEPS", "Check", "Document", "Verdict", "verify"]
