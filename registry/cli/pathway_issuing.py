"""`credreg pathway publish` and `credreg pathway award`: the issuer's side of pathways."""

from __future__ import annotations

from registry.cli.context import Context
from registry.errors import BadInput


def cmd_pathway_publish(ctx: Context) -> int:
    raise BadInput("credreg pathway publish: not built yet")


def cmd_pathway_award(ctx: Context) -> int:
    raise BadInput("credreg pathway award: not built yet")
