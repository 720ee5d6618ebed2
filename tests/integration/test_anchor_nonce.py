"""Killed after journalling its signed transaction, then the key's nonce spent elsewhere: the
job must notice, send anew with a fresh nonce, and still anchor the batch exactly once."""

import json
import os
import signal
import subprocess
import sys

from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issuer_helpers import cli_env  # noqa: E402

from registry.chain.client import RegistryClient, connect  # noqa: E402
from registry.dev.devchain import dev_account  # noqa: E402


def _cli(*args, env, kill_at=None):
    run_env = {**os.environ, **env}
    run_env.pop("CREDREG_TEST_KILL_AT", None)
    if kill_at:
        run_env["CREDREG_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], env=run_env, capture_output=True,
                          text=True, timeout=120)


def test_spent_nonce_after_a_crash_is_detected_and_the_batch_anchored_once(anvil, tmp_path):
    w3 = connect(anvil.url)
    owner, key = dev_account(0), dev_account(4)
    registry, _ = RegistryClient.deploy(w3, owner)
    registry.register_issuer("Nonce Academy", "did:web:nonce.example", key.address, owner)
    env = cli_env(anvil.url, tmp_path / "home", key, registry, signing_did="did:web:nonce.example")
    examples = Path(__file__).resolve().parents[2] / "examples/credentials"
    assert _cli("issue", str(examples), env=env).returncode == 0

    crashed = _cli("anchor", "--out", str(tmp_path / "out"), env=env, kill_at="signed")
    assert crashed.returncode == -signal.SIGKILL
    nonce = w3.eth.get_transaction_count(key.address)
    # The same key spends that nonce on something else before the job runs again.
    spend = key.sign_transaction({"to": owner.address, "value": 1, "gas": 21_000, "nonce": nonce,
                                  "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "chainId": w3.eth.chain_id})
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(spend.raw_transaction))

    again = _cli("anchor", "--out", str(tmp_path / "out"), "--json", env=env)
    assert again.returncode == 0, again.stderr
    batch = json.loads(again.stdout)["batches"][0]
    assert batch["state"] == "written" and batch["resumed"]
    logs = registry.contract.events.RootAnchored().get_logs(from_block=0, argument_filters={
        "root": bytes.fromhex(batch["root"])})
    assert len(logs) == 1
    assert "nonce" in again.stderr and "used by another transaction" in again.stderr
    assert len(list((tmp_path / "out").glob("*.json"))) == 3
