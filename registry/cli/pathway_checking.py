"""`credreg pathway check`: a learner's stack of credential files against a pathway file, read
from the chain directly, the answer as the exit code (0 complete, 1 incomplete or invalid,
3 unverifiable, 2 a request that cannot be asked)."""

from __future__ import annotations

from pathlib import Path

from registry.cli import output
from registry.cli.context import Context
from registry.errors import ExitCode

_EXIT = {"complete": ExitCode.OK, "unverifiable": ExitCode.CHAIN_UNAVAILABLE}


def cmd_pathway_check(ctx: Context) -> int:
    from registry import credentials
    from registry.cli.stack_view import StackView, claims_of
    from registry.pathways import Subject, check

    args = ctx.args
    pathway = credentials.load_file(args.pathway)  # unreadable or not a JSON object: exit 2
    files: list[Path] = list(args.files)
    presented = [credentials.load_file(path) for path in files]
    subject = Subject.of({"id": args.subject} if args.subject is not None else
                         {"email": args.email} if args.email is not None else None)
    view = StackView(ctx.registry(), claims_of([pathway, *presented]))
    result = check(pathway, presented, view, subject=subject, confirmations=args.confirmations)
    names = [path.name for path in files]
    if len(set(names)) < len(names):  # the same name in two folders: say which
        names = [str(path) for path in files]
    ctx.emit(result.as_dict(), output.pathway_check(result.as_dict(), names))
    return _EXIT.get(result.status, ExitCode.FAILURE)
