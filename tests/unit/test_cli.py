"""The command line without a chain: --version, --debug, and `serve` handing its Settings to the workers."""

import os
import pickle

import pytest

from registry import __version__

REGISTRY = "0x" + "ab" * 20
NOTHING_TO_ISSUE = "nothing to issue: give FILE|DIR arguments or --roster CSV --achievement JSON"


@pytest.fixture(autouse=True)
def _no_credreg_environment(monkeypatch):
    for name in [n for n in os.environ if n.startswith("CREDREG_")]:
        monkeypatch.delenv(name)


def test_version_prints_the_package_version(run_cli):
    assert run_cli("--version") == (0, f"credreg {__version__}\n", "")
    assert __version__ == "0.1.0"


def test_an_error_is_one_line_without_debug(run_cli):
    assert run_cli("issue") == (2, "", f"credreg: error: {NOTHING_TO_ISSUE}\n")


@pytest.mark.parametrize("argv, env", [(("--debug", "issue"), {}), (("issue", "--debug"), {}),
                                       (("issue",), {"CREDREG_DEBUG": "1"})])
def test_debug_prints_the_traceback_with_the_same_exit_code(run_cli, argv, env):
    code, out, err = run_cli(*argv, env=env)
    assert (code, out) == (2, "")
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith(f"registry.errors.ConfigError: {NOTHING_TO_ISSUE}\n")
    assert "credreg: error:" not in err


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_hands_its_settings_to_the_workers_and_leaves_the_environment_alone(run_cli, monkeypatch, workers):
    import uvicorn
    import uvicorn.supervisors

    from registry.cli.context import Context

    seen = {}

    def run(config):
        seen["config"], seen["environ"] = config, dict(os.environ)

    class Multiprocess:  # uvicorn's supervisor, as far as serve uses it
        def __init__(self, config, sockets):
            self.config = config

        def run(self):
            run(self.config)

    def server_run(self, sockets=None):
        self.started = True
        run(self.config)

    monkeypatch.setattr(Context, "registry", lambda self: None)  # no chain to check against
    monkeypatch.setattr(uvicorn.Config, "bind_socket", lambda self: None)
    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Multiprocess)
    monkeypatch.setattr(uvicorn.Server, "run", server_run)
    env = {"CREDREG_HOME": "/srv/credreg", "CREDREG_MAX_LAG_BLOCKS": "7", "CREDREG_PRIVATE_KEY": "0x" + "11" * 32,
           "CREDREG_KEYSTORE_PASSWORD": "hunter2"}
    environ = {**os.environ, **env}
    code, _, err = run_cli("serve", "--workers", str(workers), "--port", "8123", "--registry", REGISTRY,
                           "--rpc-url", "http://node.example:8545", "--confirmations", "4", env=env)
    assert (code, err) == (0, "credreg verifier on http://127.0.0.1:8123/  (API docs at /docs)\n")
    assert seen["environ"] == environ
    config = pickle.loads(pickle.dumps(seen["config"]))  # as spawn hands it to each worker
    assert (config.workers, config.factory, config.port, config.access_log) == (workers, True, 8123, False)
    settings = config.app.settings
    assert (settings.registry, settings.rpc_url, str(settings.home)) == (REGISTRY, "http://node.example:8545",
                                                                         "/srv/credreg")
    assert (settings.confirmations, settings.max_lag_blocks) == (4, 7)
    # The verifier signs nothing, so its workers never hold the signer's secrets.
    assert (settings.private_key, settings.keystore_password) == (None, None)
    assert b"hunter2" not in pickle.dumps(seen["config"]) and b"1111111111" not in pickle.dumps(seen["config"])
