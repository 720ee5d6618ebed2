"""The contract artifact committed in the package must be what contracts/ compiles to."""

import json

from registry.chain.artifact import ARTIFACT_PATH, build_artifact, load_artifact
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_committed_artifact_matches_a_fresh_compile_of_contracts():
    fresh = build_artifact(REPO)
    committed = json.loads(ARTIFACT_PATH.read_text())
    assert committed["bytecode"] == fresh["bytecode"], "artifact out of date: run `make artifact`"
    assert committed == fresh


def test_artifact_holds_everything_an_explorer_needs_to_verify_the_source():
    artifact = load_artifact()
    sources = artifact["standardJsonInput"]["sources"]
    assert "contracts/CredentialRegistry.sol" in sources
    assert "@openzeppelin/contracts/access/Ownable2Step.sol" in sources
    assert all(unit["content"] for unit in sources.values())
    assert artifact["compiler"]["version"].startswith("0.8.30")
    assert artifact["standardJsonInput"]["settings"] == artifact["compiler"]["settings"]
    names = {e["name"] for e in artifact["abi"] if e.get("type") in ("function", "event")}
    for name in ("registerIssuer", "setIssuerSuspended", "addIssuerKey", "removeIssuerKey", "issuerOfKey",
                 "anchorRoot", "revokeCredentials", "revokeRoot", "rootInfo", "isRevoked",
                 "IssuerRegistered", "IssuerKeyAdded", "IssuerKeyRemoved", "IssuerSuspended",
                 "RootAnchored", "CredentialsRevoked", "RootRevoked"):
        assert name in names
