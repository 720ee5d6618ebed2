"""`credreg inspect` on a credential `credreg anchor` really wrote, against a real anvil node."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import (  # noqa: E402, F401 (academy, env, home, registry: fixtures)
    academy,
    env,
    home,
    issued_files,
    queue_credentials,
    registry,
)


def test_inspect_decodes_the_proof_anchor_wrote(run_cli, env, home, academy, registry):
    items = queue_credentials(home, academy, 3)
    code, out, err = run_cli("anchor", "--json", env=env)
    assert code == 0, err
    (batch,) = json.loads(out)["batches"]
    files = issued_files(home / "issued")
    assert len(files) == len(items)
    # Offline: no RPC URL that answers, and none needed.
    offline = {"CREDREG_HOME": str(home), "CREDREG_RPC_URL": "http://127.0.0.1:9"}
    code, out, err = run_cli("inspect", "--json", str(files[0]), env=offline)
    assert code == 0, err
    shown = json.loads(out)
    (proof,) = shown["proofs"]
    assert shown["proofFormat"] == 1 and shown["issuer"]["id"] == academy.did
    assert proof["type"] == "CredregMerkleProof2026"
    assert proof["targetHashMatches"] is True and proof["pathReachesRoot"] is True
    assert proof["merkleRoot"] == batch["root"].removeprefix("0x")
    assert proof["anchor"] == {"chainId": 31337, "registry": registry.address,
                               "transactionHash": batch["transaction_hash"], "blockNumber": batch["block_number"]}
    assert proof["path"]["length"] in (1, 2) and set(proof["path"]["sides"]) <= {"left", "right"}
    code, text, err = run_cli("inspect", str(files[0]), env=offline)
    assert code == 0 and f"tx {batch['transaction_hash']}" in text
