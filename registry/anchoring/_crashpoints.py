"""A test hook of the crash tests: a real SIGKILL at a named stage of the anchoring job.

``CREDREG_TEST_KILL_AT=<stage>`` makes the job kill itself there (``built``, ``signed``,
``broadcast``, ``mined``, ``confirmed``, ``writing``), so each test's killed run is a real process
dying, not a mock; unset, it costs one dictionary look-up per stage.
"""

from __future__ import annotations

import os
import signal


def checkpoint(stage: str) -> None:
    """Test hook for the crash tests: a real SIGKILL at a named stage (CREDREG_TEST_KILL_AT)."""
    if os.environ.get("CREDREG_TEST_KILL_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)
