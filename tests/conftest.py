"""Shared fixtures for the unit and integration suites (run with `-p no:ape_test`).

Integration tests run against a real anvil node from npm, started per test module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


@pytest.fixture(scope="module")
def anvil():
    from registry.dev.devchain import Anvil

    with Anvil() as node:
        yield node


@pytest.fixture(scope="module")
def dev_accounts():
    from registry.dev.devchain import dev_account

    return [dev_account(i) for i in range(6)]


@pytest.fixture()
def run_cli(tmp_path, capsys):
    """Run `credreg` in-process; returns (exit code, stdout, stderr)."""
    from registry.cli import main

    def run(*argv: str, env: dict[str, str] | None = None):
        old = dict(os.environ)
        os.environ.update(env or {})
        try:
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code
        finally:
            os.environ.clear()
            os.environ.update(old)
        out, err = capsys.readouterr()
        return code, out, err

    return run
