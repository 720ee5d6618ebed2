"""`credreg serve` answers with Nagle's algorithm off, with one worker and with several.

With Nagle on, an answer written in two pieces (head, then body) waits for the client's delayed
ACK: 44 ms per request on a kept-alive connection (credreg issue 13). No timing here: the tests
read the TCP_NODELAY option of the server's own socket for a live connection, taken from the
worker process with pidfd_getfd (Linux 5.6+), which is what decides whether Nagle applies.
"""

from __future__ import annotations

import asyncio
import ctypes
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYS_PIDFD_GETFD = {"x86_64": 438, "aarch64": 438}.get(os.uname().machine)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return found


def _socket_inode(local_port: int, remote_port: int) -> str:
    """The inode of the IPv4 TCP socket from ``local_port`` to ``remote_port`` on 127.0.0.1."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == local_port and int(fields[2].split(":")[1], 16) == remote_port:
            return fields[9]
    raise AssertionError(f"no socket from port {local_port} to {remote_port} in /proc/net/tcp")


def _nodelay_in(pids: list[int], inode: str) -> int:
    """TCP_NODELAY of the socket ``inode`` as held open by one of ``pids``: a duplicate of its fd."""
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd) != f"socket:[{inode}]":
                    continue
            except OSError:
                continue
            pidfd = os.pidfd_open(pid)
            try:
                dup = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(fd.name), 0)
                if dup < 0:
                    pytest.skip(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
            finally:
                os.close(pidfd)
            with socket.socket(fileno=dup) as sock:
                return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    raise AssertionError(f"socket {inode} is held by none of the server's processes {pids}")


@pytest.fixture(scope="module")
def registry_address(anvil, dev_accounts):
    from registry.chain.client import RegistryClient, connect

    registry, _ = RegistryClient.deploy(connect(anvil.url), dev_accounts[0])
    return registry.address


@pytest.mark.skipif(SYS_PIDFD_GETFD is None or not hasattr(os, "pidfd_open"), reason="needs Linux pidfd_getfd")
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_a_kept_alive_connection_without_nagle(workers, anvil, registry_address, tmp_path):
    from registry.dev.devchain import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    server = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--workers", str(workers),
                               "--port", str(port), "--rpc-url", anvil.url, "--registry", registry_address,
                               "--home", str(tmp_path)], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                connection.close()
                assert server.poll() is None and time.monotonic() < deadline, "the verifier did not start"
                time.sleep(0.3)
        connection.request("GET", "/healthz")  # the same connection, kept alive, answered again
        assert connection.getresponse().read()
        inode = _socket_inode(port, connection.sock.getsockname()[1])
        # With several workers the connection is held by one of the spawned children, not the parent.
        assert _nodelay_in([server.pid, *_children(server.pid)], inode) == 1
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY of the connection an asyncio server on ``listener`` accepts, as uvicorn serves it."""
    async def run() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(run())


def test_the_socket_uvicorn_binds_for_workers_leaves_nagle_on_and_serves_socket_turns_it_off():
    """The cause, without a chain: asyncio sets TCP_NODELAY only on sockets that say IPPROTO_TCP.

    The first half pins uvicorn's behaviour (0.54): if it ever marks its socket as TCP itself, this
    half fails, and registry/cli/_nodelay.py is no longer needed.
    """
    import uvicorn

    from registry.cli._nodelay import listening_socket

    def config() -> uvicorn.Config:
        return uvicorn.Config(lambda: None, host="127.0.0.1", port=0, log_level="warning")

    assert _accepted_nodelay(config().bind_socket()) == 0
    assert _accepted_nodelay(listening_socket(config())) == 1
