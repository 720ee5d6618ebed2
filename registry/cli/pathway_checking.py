"""`credreg pathway check`: a learner's stack of credential files against a pathway file."""

from __future__ import annotations

from registry.cli.context import Context
from registry.errors import BadInput


def cmd_pathway_check(ctx: Context) -> int:
    raise BadInput("credreg pathway check: not built yet")
