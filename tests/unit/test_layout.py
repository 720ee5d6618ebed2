"""The layout of ARCHITECTURE.md holds: imports flow one way, dev tooling stays out of the library,
and verification reads only the small Merkle module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "registry"
# Each room and the rooms it may import (ARCHITECTURE.md, "Layout"): only downwards.
BELOW = {
    "errors": set(),
    "credentials": {"errors"},
    "merkle": {"errors"},
    "store": {"errors"},
    "chain": {"errors"},
    "identity": {"errors"},
    "anchoring": {"chain", "store", "merkle", "credentials", "identity", "errors"},
    "status": {"chain", "store", "merkle", "credentials", "identity", "errors"},
    "verification": {"chain", "store", "merkle", "credentials", "identity", "errors"},
    # Pathways check a stack with verify(): verification is the one room of its group it reads.
    "pathways": {"verification", "chain", "store", "merkle", "credentials", "identity", "errors"},
    # Baking reads and writes images and hands the credential's text to the strict parser; share
    # links keep their ciphertext in the store.
    "sharing": {"store", "merkle", "credentials", "identity", "chain", "errors"},
    "service": {"anchoring", "verification", "status", "pathways", "sharing", "chain", "store", "merkle",
                "credentials", "identity", "errors"},
    "cli": {"service", "anchoring", "verification", "status", "pathways", "sharing", "chain", "store", "merkle",
            "credentials", "identity", "errors"},
}


def _imports(path: Path) -> set[str]:
    """The registry modules a file imports, as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("registry.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "registry":
            if node.module == "registry":
                found |= {f"registry.{a.name}" for a in node.names}
            else:
                found.add(node.module)
    return found


def _room(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if _room(p) in BELOW),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_rooms_below_its_own(path):
    room = _room(path)
    rooms = {name.split(".")[1] for name in _imports(path)} - {room, "__version__"}
    assert rooms <= BELOW[room], f"{path.relative_to(PACKAGE)} imports {sorted(rooms - BELOW[room])}"


def test_no_library_module_imports_the_dev_tooling():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if _room(p) != "dev" and any(n.startswith("registry.dev") for n in _imports(p))]
    assert offenders == []


def test_verification_loads_the_small_merkle_module_and_nothing_of_the_builder():
    code = ("import sys, registry.verification; "
            "print(sorted(m for m in sys.modules if m.startswith('registry.merkle')), 'mmap' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent).stdout.split()
    assert out == ["['registry.merkle',", "'registry.merkle.paths']", "False"]
