"""The Ape scripts are thin wrappers: `ape run deploy` deploys through credreg on the network Ape
connects (here ape-foundry's anvil), and `ape run anchor` exposes the job's options."""

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _ape(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = f"{REPO / 'node_modules/.bin'}:{REPO / '.venv/bin'}:{os.environ['PATH']}"
    return subprocess.run([str(REPO / ".venv/bin/ape"), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=180, env={**os.environ, **env, "PATH": path})


def test_ape_run_deploy_deploys_the_registry_and_records_it(tmp_path, dev_accounts):
    result = _ape("run", "deploy", "--network", "ethereum:local:foundry",
                  env={"CREDREG_HOME": str(tmp_path), "CREDREG_PRIVATE_KEY": dev_accounts[0].key.hex()})
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"^0x[0-9a-fA-F]{40}$", result.stdout, re.M)
    assert (tmp_path / "deployments.json").exists()


def test_ape_run_anchor_offers_the_job_options():
    result = _ape("run", "anchor", "--help", env={})
    assert result.returncode == 0
    for option in ("--confirmations", "--max-fee-gwei", "--out", "--dry-run", "--network"):
        assert option in result.stdout
