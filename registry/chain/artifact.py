"""The compiled CredentialRegistry, committed inside the package.

`registry` deploys and reads the contract from ``CredentialRegistry.json`` so that neither a node
nor a compiler is needed to use it. The file also holds the standard-JSON input (every source
inlined) that an explorer needs to verify the deployed code. ``python -m registry.chain.artifact``
rebuilds it with solc (the npm solc-js behind the project's shim); ``--check`` fails when it is
out of date with ``contracts/``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from registry.errors import ConfigError

ARTIFACT_PATH = Path(__file__).with_name("CredentialRegistry.json")
CONTRACT_NAME = "CredentialRegistry"
MAIN_SOURCE = "contracts/CredentialRegistry.sol"
SOLC_VERSION = "0.8.30"
# The settings are part of what an explorer needs to reproduce the bytecode.
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 20000},
    "evmVersion": "prague",
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]}
    },
}
_NPM_PREFIXES = {"@openzeppelin/contracts/": "node_modules/@openzeppelin/contracts/"}
_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*?\bfrom\s+)?["\']([^"\']+)["\']\s*;', re.MULTILINE)


@cache
def load_artifact() -> dict[str, Any]:
    """The committed artifact: abi, bytecode, deployedBytecode, compiler, settings, input."""
    try:
        return json.loads(ARTIFACT_PATH.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{ARTIFACT_PATH}: cannot read the compiled registry: {exc}") from exc


def _resolve(unit: str, importer: str) -> str:
    if unit.startswith("."):
        parts = importer.split("/")[:-1]
        for piece in unit.split("/"):
            if piece == "..":
                parts.pop()
            elif piece != ".":
                parts.append(piece)
        return "/".join(parts)
    return unit


def _read_unit(root: Path, unit: str) -> str:
    for prefix, folder in _NPM_PREFIXES.items():
        if unit.startswith(prefix):
            return (root / folder / unit[len(prefix):]).read_text()
    return (root / unit).read_text()


def standard_json_input(root: Path) -> dict[str, Any]:
    """Every source the contract needs, inlined, so the input compiles anywhere."""
    sources: dict[str, dict[str, str]] = {}
    pending = [MAIN_SOURCE]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = _read_unit(root, unit)
        sources[unit] = {"content": text}
        pending.extend(_resolve(imp, unit) for imp in _IMPORT.findall(text))
    return {"language": "Solidity", "sources": dict(sorted(sources.items())), "settings": SETTINGS}


def build_artifact(root: Path) -> dict[str, Any]:
    """Compile ``contracts/`` with solc (via py-solc-x) into the artifact's shape."""
    import solcx  # only the build needs a compiler

    source_input = standard_json_input(root)
    output = solcx.compile_standard(source_input, solc_version=SOLC_VERSION)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise ConfigError("\n".join(e.get("formattedMessage", str(e)) for e in errors))
    compiled = output["contracts"][MAIN_SOURCE][CONTRACT_NAME]
    metadata = json.loads(compiled["metadata"])
    return {
        "contractName": CONTRACT_NAME,
        "sourceName": MAIN_SOURCE,
        "compiler": {"version": metadata["compiler"]["version"], "settings": SETTINGS},
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
        "standardJsonInput": source_input,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m registry.chain.artifact",
        description="Rebuild the committed registry artifact from contracts/, or check it is current.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the artifact is out of date")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository (default: .)")
    args = parser.parse_args(argv)
    fresh = build_artifact(args.root)
    if args.check:
        current = json.loads(ARTIFACT_PATH.read_text()) if ARTIFACT_PATH.exists() else None
        if current != fresh:
            print(f"{ARTIFACT_PATH} is out of date with contracts/: run `make artifact`", file=sys.stderr)
            return 1
        print(f"{ARTIFACT_PATH} is up to date")
        return 0
    tmp = ARTIFACT_PATH.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    tmp.replace(ARTIFACT_PATH)
    print(f"wrote {ARTIFACT_PATH} (solc {fresh['compiler']['version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
