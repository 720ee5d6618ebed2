"""`credreg deploy` and `credreg issuer ...` against a real anvil node."""

import json

import pytest

from registry.chain.client import connect


@pytest.fixture()
def env(anvil, dev_accounts, tmp_path):
    return {"CREDREG_RPC_URL": anvil.url, "CREDREG_HOME": str(tmp_path / "home"),
            "CREDREG_PRIVATE_KEY": "0x" + dev_accounts[0].key.hex().removeprefix("0x")}


def test_deploy_records_the_address_and_reuse_keeps_it(run_cli, env, anvil):
    code, out, _ = run_cli("deploy", "--json", env=env)
    assert code == 0
    first = json.loads(out)
    assert len(connect(anvil.url).eth.get_code(first["address"])) > 0
    code, out, _ = run_cli("deploy", "--reuse", "--json", env=env)
    again = json.loads(out)
    assert code == 0 and again["reused"] and again["address"] == first["address"]
    recorded = json.loads((__import__("pathlib").Path(env["CREDREG_HOME"]) / "deployments.json").read_text())
    assert recorded[str(connect(anvil.url).eth.chain_id)]["address"] == first["address"]


def test_register_and_list_issuers(run_cli, env, anvil, dev_accounts):
    assert run_cli("deploy", env=env)[0] == 0
    key = dev_accounts[2].address
    code, out, _ = run_cli("issuer", "register", "--name", "Acme Academy", "--did", "did:web:acme.example",
                           "--key", key, "--json", env=env)
    assert code == 0 and json.loads(out)["issuerId"] == 1
    code, out, _ = run_cli("issuer", "list", "--json", env=env)
    assert json.loads(out)["issuers"][0]["did"] == "did:web:acme.example"


def test_non_owner_governance_is_refused_with_exit_code_1(run_cli, env, dev_accounts):
    assert run_cli("deploy", env=env)[0] == 0
    stranger = {**env, "CREDREG_PRIVATE_KEY": "0x" + dev_accounts[3].key.hex().removeprefix("0x")}
    code, _, err = run_cli("issuer", "register", "--name", "X", "--did", "did:web:x", "--key",
                           dev_accounts[4].address, env=stranger)
    assert code == 1 and "OwnableUnauthorizedAccount" in err


def test_bad_address_is_a_usage_error(run_cli, env):
    code, _, err = run_cli("issuer", "register", "--name", "X", "--did", "did:web:x", "--key", "0x123", env=env)
    assert code == 2 and "not an Ethereum address" in err


def test_chain_down_gives_exit_code_3(run_cli, env):
    code, _, err = run_cli("deploy", env={**env, "CREDREG_RPC_URL": "http://127.0.0.1:9"})
    assert code == 3 and "cannot reach" in err


def test_registry_without_code_is_reported(run_cli, env, anvil):
    code, _, err = run_cli("issuer", "list", "--registry", "0x" + "12" * 20, env=env)
    assert code == 2 and "no contract" in err


def test_private_key_never_appears_in_output(run_cli, env):
    code, out, err = run_cli("deploy", "--json", env=env)
    secret = env["CREDREG_PRIVATE_KEY"].removeprefix("0x")
    assert secret not in out and secret not in err


def test_audit_confirms_the_deployed_code_and_history(run_cli, env, anvil, dev_accounts):
    code, out, _ = run_cli("deploy", "--json", env=env)
    address = json.loads(out)["address"]
    run_cli("issuer", "register", "--name", "Audit Academy", "--did", "did:web:audit.example",
            "--key", dev_accounts[5].address, env=env)
    code, out, _ = run_cli("audit", "--json", env=env)
    report = json.loads(out)
    assert code == 0 and report["bytecodeMatchesSource"] and report["mismatches"] == []
    assert report["registry"] == address and report["issuers"][0]["did"] == "did:web:audit.example"


def test_audit_fails_when_the_deployed_code_differs_from_the_source(run_cli, env, anvil):
    from registry.dev.devchain import rpc

    code, out, _ = run_cli("deploy", "--json", env=env)
    address = json.loads(out)["address"]
    deployed = rpc(anvil.url, "eth_getCode", [address, "latest"])
    rpc(anvil.url, "anvil_setCode", [address, deployed[:-2] + ("00" if deployed[-2:] != "00" else "01")])
    code, out, _ = run_cli("audit", "--json", env=env)
    assert code == 1 and json.loads(out)["bytecodeMatchesSource"] is False
