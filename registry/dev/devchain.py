"""A local anvil chain for `make run` and the integration tests.

anvil comes from npm (``@foundry-rs/anvil``). :class:`Anvil` starts one on a port, waits until it
answers JSON-RPC, and stops it; ``python -m registry.dev.devchain start|stop|keystore`` is what the
Makefile calls. Demo keys are anvil's well-known development accounts: they are written only as
encrypted keystores, never in clear.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from registry.errors import ChainUnavailable, ConfigError

DEV_MNEMONIC = "test test test test test test test test test test test junk"
_REPO = Path(__file__).resolve().parents[2]


def anvil_executable() -> str:
    """The anvil binary: the npm package's platform build, else anything on PATH."""
    for candidate in (
        _REPO / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil",
        _REPO / "node_modules/.bin/anvil",
    ):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("anvil")
    if not found:
        raise ConfigError("anvil not found: run `make setup` (npm package @foundry-rs/anvil)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rpc(url: str, method: str, params: list | None = None, timeout: float = 2.0):
    """One raw JSON-RPC call (used where web3 would be overkill: liveness, anvil_* helpers)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = json.loads(resp.read())
    if "error" in answer:
        raise ChainUnavailable(f"{url}: {method} failed: {answer['error']}")
    return answer["result"]


def is_up(url: str) -> bool:
    try:
        rpc(url, "eth_chainId", timeout=0.5)
        return True
    except Exception:
        return False


class Anvil:
    """A real anvil node on 127.0.0.1; a context manager that stops it on exit."""

    def __init__(self, port: int | None = None, state: Path | None = None, block_time: float | None = None,
                 log: Path | None = None, extra: list[str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [anvil_executable(), "--port", str(self.port), "--host", "127.0.0.1",
                "--mnemonic", DEV_MNEMONIC, "--accounts", "10", "--silent"]
        if state is not None:
            args += ["--state", str(state), "--state-interval", "5"]
        if block_time:
            args += ["--block-time", str(block_time)]
        self.args = args + list(extra or [])
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, detach: bool = False, timeout: float = 20.0) -> "Anvil":
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=detach)
        deadline = time.monotonic() + timeout
        while not is_up(self.url):
            if self.process.poll() is not None:
                raise ChainUnavailable(f"anvil exited with code {self.process.returncode} ({' '.join(self.args)})")
            if time.monotonic() > deadline:
                self.stop()
                raise ChainUnavailable(f"anvil did not answer on {self.url} within {timeout:.0f} s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: anvil dumps --state on the way out
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Anvil":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def dev_account(index: int):
    """anvil's development account `index` (a LocalAccount)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def write_keystore(index: int, out: Path, password: str) -> str:
    """Write dev account `index` as an encrypted keystore (light scrypt: demo keys only)."""
    from eth_account import Account

    account = dev_account(index)
    if out.exists():
        return account.address
    out.parent.mkdir(parents=True, exist_ok=True)
    keystore = Account.encrypt(account.key, password, kdf="scrypt", iterations=2**14)
    tmp = out.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keystore, handle)
    tmp.replace(out)
    return account.address


def _pid_file(state: Path) -> Path:
    return state.with_suffix(".pid")


def _start(port: int, state: Path) -> int:
    url = f"http://127.0.0.1:{port}"
    if is_up(url):
        print(f"anvil already answering on {url}")
        return 0
    state.parent.mkdir(parents=True, exist_ok=True)
    node = Anvil(port=port, state=state, log=state.with_suffix(".log")).start(detach=True)
    _pid_file(state).write_text(str(node.process.pid))
    print(f"anvil started on {url} (pid {node.process.pid}, state {state})")
    return 0


def _stop(state: Path) -> int:
    pid_file = _pid_file(state)
    if not pid_file.exists():
        print("anvil: no pid file, nothing to stop")
        return 0
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    print(f"anvil (pid {pid}) stopped; state kept in {state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry.dev.devchain", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start anvil in the background unless it already answers")
    start.add_argument("--port", type=int, default=8545)
    start.add_argument("--state", type=Path, required=True)
    stop = sub.add_parser("stop", help="stop the anvil that `start` left running")
    stop.add_argument("--state", type=Path, required=True)
    keystore = sub.add_parser("keystore", help="write dev account INDEX as an encrypted keystore")
    keystore.add_argument("index", type=int)
    keystore.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "start":
        return _start(args.port, args.state)
    if args.command == "stop":
        return _stop(args.state)
    from registry.service.settings import Settings

    secret = Settings().keystore_password
    password = secret.get_secret_value() if secret else ""
    if not password:
        print("CREDREG_KEYSTORE_PASSWORD is not set", file=sys.stderr)
        return 2
    print(write_keystore(args.index, args.out, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
