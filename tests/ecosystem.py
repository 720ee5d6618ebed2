"""The checks the Open Badges 3.0 ecosystem runs on a credential, for tests to run on credreg's.

Three of them, each failing where a relying party would refuse the credential:

- :func:`schema_errors`: the 1EdTech OB 3.0 AchievementCredential JSON Schema (draft 2019-09,
  with format checking), from ``../shared/standards/`` beside the repository;
- :func:`safe_expansion_failures`: JSON-LD expansion in jsonld.js's safe mode over credreg's
  shipped contexts (``tests/interop/expand-safe.mjs``): an undefined term, a dropped property or
  an unknown context fails;
- :func:`standard_verifier_failures`: Digital Bazaar's verifier (``verify-dbvc.mjs``) or the
  Digital Credentials Consortium's verifier-core (``verify-dcc.mjs``) on the issuer's
  ``eddsa-rdfc-2022`` signature.

The Node checks take many files in one process (Node and its packages take about half a second to
start) and answer ``{file: why}`` for the files that failed, so an empty dict means all passed.
The file keys are named as the scripts name them: a file as given, a directory's entries as
``os.path.normpath(os.path.join(directory, name))`` (Node's ``path.join``).
Node or an npm package missing is a test failure saying to run ``make setup``, never a skip.

Importing: this module is ``tests/ecosystem.py`` so that unit and integration tests can both use
it. pytest runs with ``--import-mode=importlib`` and puts no test directory on ``sys.path``, so a
test module adds ``tests/`` itself, as the suites already do for their helper modules::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ecosystem import schema_errors  # noqa: E402

(Not ``from tests.ecosystem``: the venv's site-packages holds an unrelated ``tests`` package.)
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
INTEROP = REPO / "tests" / "interop"
# CI checks ../shared out beside the repository (shared/standards/README.md says where it is from).
SCHEMA_PATH = REPO.parent / "shared" / "standards" / "ob_v3p0_achievementcredential_schema.json"
EXPAND_SAFE = INTEROP / "expand-safe.mjs"
VERIFIERS = {"dbvc": INTEROP / "verify-dbvc.mjs", "dcc": INTEROP / "verify-dcc.mjs"}
NPM_PACKAGES = ("jsonld", "@digitalbazaar/vc", "@digitalbazaar/data-integrity",
                "@digitalbazaar/eddsa-rdfc-2022-cryptosuite", "@digitalbazaar/ed25519-multikey",
                "@digitalbazaar/did-method-key", "@digitalcredentials/verifier-core")
_TIMEOUT = 600  # seconds for one Node run, however many files

# RFC 3339 date-time (what the schema's "date-time" format means in JSON Schema 2019-09).
_RFC3339_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats constrain strings only; "type" checks the rest
    if not _RFC3339_DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # a day, hour or offset out of range
        return False
    return True


@cache
def _schema_validator() -> jsonschema.protocols.Validator:
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the OB 3.0 JSON Schema is not at {SCHEMA_PATH}: check out the shared standards "
                    "files beside the repository (../shared/standards/, see its README.md)")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=None)
    if cls is None:
        pytest.fail(f"{SCHEMA_PATH}: jsonschema knows no validator for $schema {schema.get('$schema')!r}")
    cls.check_schema(schema)
    # The schema's formats are "date" and "date-time". jsonschema checks "date-time" only with the
    # optional rfc3339-validator installed, which it is not here: without this checker any string
    # would pass as a date-time.
    checker = jsonschema.FormatChecker(cls.FORMAT_CHECKER.checkers)
    checker.checks("date-time")(_is_date_time)
    return cls(schema, format_checker=checker)


def schema_errors(credential: Mapping[str, Any]) -> list[str]:
    """Why ``credential`` fails the 1EdTech OB 3.0 AchievementCredential JSON Schema, one
    ``"<JSON path>: <message>"`` per error (``$`` for the top), sorted by path; [] when valid."""
    errors = sorted(_schema_validator().iter_errors(dict(credential)), key=lambda e: list(map(str, e.path)))
    return [f"{e.json_path}: {e.message}" for e in errors]


def node(packages: Iterable[str] = NPM_PACKAGES) -> str:
    """The path of ``node``, once it and the npm ``packages`` the checks need are there (else the
    test fails: a missing verifier is a broken set-up, not a reason to skip)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the ecosystem checks run jsonld.js and the verifiers in Node "
                    "(run `make setup`)")
    missing = [p for p in packages if not (REPO / "node_modules" / p / "package.json").is_file()]
    if missing:
        pytest.fail(f"npm packages missing from {REPO / 'node_modules'}: {', '.join(missing)} (run `make setup`)")
    return node


def _file_count(paths: list[str]) -> int:
    # How many files the script reports on (common.mjs's credentialFiles): a directory's *.json.
    return sum(len([n for n in os.listdir(p) if n.endswith(".json")]) if os.path.isdir(p) else 1 for p in paths)


def _run(script: Path, args: list[str], paths: Iterable[str | os.PathLike[str]], ok_key: str) -> list[dict]:
    """Run ``script`` once over ``paths``; its per-file results, checked against its exit code."""
    executable = node()
    paths = [str(p) for p in paths]
    expected = _file_count(paths)
    if not expected:
        pytest.fail(f"{script.name}: no credential files in {paths} (a check over nothing would pass)")
    run = subprocess.run([executable, str(script), *args, *paths], capture_output=True, text=True, cwd=REPO,
                         timeout=_TIMEOUT, check=False)
    if run.returncode not in (0, 1):
        pytest.fail(f"{script.name} failed to run (exit {run.returncode}): {run.stderr.strip()}")
    results = json.loads(run.stdout)
    if len(results) != expected:
        pytest.fail(f"{script.name} answered for {len(results)} files, not {expected}: {run.stdout}")
    all_ok = all(r[ok_key] is True for r in results)
    if all_ok is not (run.returncode == 0):
        pytest.fail(f"{script.name}: exit code {run.returncode} disagrees with its results {results}")
    return results


def safe_expansion_failures(paths: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """``{file: error}`` for each credential file (or ``*.json`` in a directory) in ``paths``
    that safe-mode JSON-LD expansion rejects; {} when all expand."""
    results = _run(EXPAND_SAFE, [], paths, "ok")
    return {r["file"]: r["error"] for r in results if not r["ok"]}


def standard_verifier_results(verifier: str, paths: Iterable[str | os.PathLike[str]],
                              did_documents: Iterable[Mapping[str, Any] | str | os.PathLike[str]] = (),
                              serve: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """What ``verifier`` (``"dbvc"`` or ``"dcc"``) says of each credential file in ``paths``, in
    order: ``{file, verified, errors}``, and with ``serve`` (URL prefix -> the http base serving
    it: the issuer's public folder) also ``revoked`` and ``status``, credentialStatus checked from
    there. ``did_documents`` (documents or files) resolve did:web issuers; did:key needs none."""
    if verifier not in VERIFIERS:
        raise ValueError(f"verifier must be one of {sorted(VERIFIERS)}, not {verifier!r}")
    with tempfile.TemporaryDirectory(prefix="credreg-did-") as tmp:
        args = ["--many"]
        for n, document in enumerate(did_documents):
            if isinstance(document, Mapping):
                path = Path(tmp) / f"did-{n}.json"
                path.write_text(json.dumps(document), encoding="utf-8")
                document = path
            args += ["--did-document", str(document)]
        for prefix, base in (serve or {}).items():
            args += ["--serve", f"{prefix}={base}"]
        return _run(VERIFIERS[verifier], args, paths, "verified")


def standard_verifier_failures(verifier: str, paths: Iterable[str | os.PathLike[str]],
                               did_documents: Iterable[Mapping[str, Any] | str | os.PathLike[str]] = (),
                               serve: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """``{file: errors}`` for each credential file in ``paths`` that ``verifier`` does not verify
    (:func:`standard_verifier_results`); {} when all verify."""
    return {r["file"]: r["errors"] for r in standard_verifier_results(verifier, paths, did_documents, serve)
            if not r["verified"]}


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """A plain static web server (any host would do) on ``folder``, on a free loopback port: its base URL."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
