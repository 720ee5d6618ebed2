"""The verifier under hostile use, without a browser (the page under its CSP: test_page.py).

The policy headers on every answer, /docs under its own narrow policy; no cross-origin calls
unless configured, the public folder readable from anywhere all the same; a body dribbled byte by
byte cut off with 408 and the connection closed (a real server, a raw socket); /metrics on its own
port only, with one worker and with two (`credreg serve` against anvil).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from registry.service.app import Settings, create_app
from registry.service.policy import PAGE_POLICY, SWAGGER_CSS, SWAGGER_JS

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_helpers import ThreadedServer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "registry" / "service" / "static"
WALLET = "https://wallet.example"
EVIL = "https://evil.example"


class _NoChain:
    """A chain view that must never be asked: the answers tested here come before verification."""

    chain_id, registry = 31337, "0x" + "00" * 20

    def health(self):
        raise RuntimeError("the chain view was asked")


def client(**settings) -> TestClient:
    return TestClient(create_app(Settings(**settings), view=_NoChain()), raise_server_exceptions=False)


def policy_headers(response) -> tuple[str | None, str | None, str | None]:
    return (response.headers.get("content-security-policy"), response.headers.get("x-content-type-options"),
            response.headers.get("referrer-policy"))


# ---------------------------------------------------------------------------- the policy headers
def test_every_answer_carries_the_csp_nosniff_and_no_referrer():
    with client() as c:
        answers = {"page": c.get("/"), "style": c.get("/page.css"), "script": c.get("/page.js"),
                   "schema": c.get("/openapi.json"), "missing": c.get("/no/such/page"),
                   "refused": c.post("/v1/verify", content=b"{", headers={"Content-Type": "application/json"}),
                   "wrong method": c.delete("/v1/verify"),
                   "server error": c.get("/healthz")}  # the view raises: a 500 from the outermost layer
        assert [a.status_code for a in answers.values()] == [200, 200, 200, 200, 404, 422, 405, 500]
        for name, answer in answers.items():
            assert policy_headers(answer) == (PAGE_POLICY, "nosniff", "no-referrer"), name
    assert "'unsafe-inline'" not in PAGE_POLICY and "'unsafe-eval'" not in PAGE_POLICY
    assert "frame-ancestors 'none'" in PAGE_POLICY and "script-src 'self';" in PAGE_POLICY


def test_the_page_style_and_script_are_served_as_their_types_from_the_app():
    with client() as c:
        assert c.get("/page.css").headers["content-type"] == "text/css; charset=utf-8"
        assert c.get("/page.js").headers["content-type"] == "text/javascript; charset=utf-8"
        assert c.get("/page.js").content == (STATIC / "page.js").read_bytes()
        assert c.get("/").text == (STATIC / "index.html").read_text()
        for name, kind in [("credential-view.js", "javascript"), ("qr.js", "javascript"), ("print.css", "css"),
                           ("vendor/qrcode-generator.js", "javascript"), ("credential-view.css", "css")]:
            answer = c.get(f"/{name}")
            assert answer.headers["content-type"] == f"text/{kind}; charset=utf-8", name
            assert answer.content == (STATIC / name).read_bytes() and policy_headers(answer)[0] == PAGE_POLICY
        assert c.get("/vendor/LICENSE-qrcode-generator").status_code == 404  # only the named files are served


def test_the_page_has_nothing_inline_for_its_policy_to_need():
    html = (STATIC / "index.html").read_text()
    assert "<style" not in html
    assert re.findall(r"<script\b[^>]*>", html) == [
        f'<script src="/{name}">' for name in ("vendor/qrcode-generator.js", "qr.js", "credential-view.js", "page.js")]
    assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None, "a script with inline text"
    assert re.search(r"\son[a-z]+\s*=", html) is None and " style=" not in html and "javascript:" not in html
    # ours; of the vendored QR encoder the page calls only what builds the module matrix (qr.js)
    script = "".join((STATIC / name).read_text() for name in ("page.js", "credential-view.js", "qr.js"))
    for danger in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                   "javascript:", "'style'", '"style"', "setTimeout(\"", "setTimeout('"]:
        assert danger not in script, danger
    # no element's inline style either (document.styleSheets, our own sheets through the CSSOM, is fine)
    assert re.search(r"\.style\b", script) is None, "an inline style"


def test_docs_run_under_their_own_policy_the_cdn_files_and_the_hash_of_their_one_inline_script():
    with client() as c:
        docs = c.get("/docs")
        assert c.get("/openapi.json").json()["info"]["title"] == "credreg verifier"
        assert c.get("/redoc").status_code == 404 and c.get("/docs/oauth2-redirect").status_code == 404
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    policy = docs.headers["content-security-policy"]
    assert policy != PAGE_POLICY and policy_headers(docs)[1:] == ("nosniff", "no-referrer")
    inline = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == f"{SWAGGER_JS} 'sha256-{digest}'"  # no host-wide CDN, no unsafe-inline
    assert directives["style-src"].startswith(SWAGGER_CSS)
    assert (directives["default-src"], directives["connect-src"], directives["frame-ancestors"]) == \
        ("'none'", "'self'", "'none'")
    for src in re.findall(r'<script src="([^"]+)"', docs.text):
        assert src == SWAGGER_JS


# ---------------------------------------------------------------------------- CORS
def preflight(c: TestClient, origin: str, path: str = "/v1/verify"):
    return c.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                    "Access-Control-Request-Headers": "content-type"})


def test_by_default_no_other_origin_may_call_the_api():
    with client() as c:
        answer = preflight(c, EVIL)
        assert answer.status_code >= 400 and "access-control-allow-origin" not in answer.headers
        simple = c.post("/v1/verify", content=b"[]", headers={"Origin": EVIL, "Content-Type": "application/json"})
        assert simple.status_code == 422 and "access-control-allow-origin" not in simple.headers
        assert "access-control-allow-origin" not in c.get("/openapi.json", headers={"Origin": EVIL}).headers


def test_configured_origins_may_call_the_api_and_no_others():
    with client(cors_origins=(WALLET,)) as c:
        granted = preflight(c, WALLET)
        assert granted.status_code == 200
        assert granted.headers["access-control-allow-origin"] == WALLET
        assert set(granted.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
        assert "Content-Type" in granted.headers["access-control-allow-headers"]
        assert "credentials" not in " ".join(granted.headers).lower()  # no cookies cross origins
        simple = c.post("/v1/verify", content=b"[]", headers={"Origin": WALLET, "Content-Type": "application/json"})
        assert simple.headers["access-control-allow-origin"] == WALLET
        refused = preflight(c, EVIL)
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        other = c.post("/v1/verify", content=b"[]", headers={"Origin": EVIL, "Content-Type": "application/json"})
        assert "access-control-allow-origin" not in other.headers
        assert policy_headers(granted)[0] == PAGE_POLICY


@pytest.mark.parametrize("cors_origins", [(), (WALLET,)])
def test_the_public_folder_stays_readable_from_any_origin(tmp_path, cors_origins):
    (tmp_path / "credentials" / "status").mkdir(parents=True)
    (tmp_path / "credentials" / "status" / "1.json").write_text('{"type": "BitstringStatusListCredential"}')
    with client(public_dir=tmp_path, cors_origins=cors_origins) as c:
        for origin in (EVIL, WALLET, None):
            answer = c.get("/credentials/status/1.json", headers={"Origin": origin} if origin else {})
            assert answer.status_code == 200
            assert answer.headers["access-control-allow-origin"] in ("*", origin), (origin, answer.headers)
            assert policy_headers(answer)[1] == "nosniff"


@pytest.mark.parametrize("value, expected", [
    ("https://wallet.example", ("https://wallet.example",)),
    ("https://wallet.example, http://localhost:5173", ("https://wallet.example", "http://localhost:5173")),
    ('["https://Wallet.Example:443", "http://[::1]:8080"]', ("https://wallet.example", "http://[::1]:8080")),
    ("*", ("*",)),
])
def test_cors_origins_are_read_from_the_environment_comma_separated_or_as_json(monkeypatch, value, expected):
    monkeypatch.setenv("CREDREG_CORS_ORIGINS", value)
    assert Settings().cors_origins == expected


@pytest.mark.parametrize("bad", ["wallet.example", "https://wallet.example/", "https://wallet.example/app",
                                 "https://user@wallet.example", "https://wallet.example:99999", "null",
                                 "https://wallet.example?x=1", "https://"])
def test_an_origin_that_is_not_scheme_host_port_is_refused_with_exit_2(run_cli, monkeypatch, bad):
    for name in [n for n in os.environ if n.startswith("CREDREG_")]:
        monkeypatch.delenv(name)
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=[bad])
    code, _, err = run_cli("serve", "--cors-origin", bad)
    assert code == 2 and "is not an origin: expected scheme://host[:port]" in err, err
    code, _, err = run_cli("serve", env={"CREDREG_CORS_ORIGINS": f"{WALLET},{bad}"})
    assert code == 2 and "CREDREG_CORS_ORIGINS" in err and "is not an origin" in err, err


# ---------------------------------------------------------------------------- slow loris
def test_a_body_dribbled_byte_by_byte_gets_408_and_the_connection_closed():
    app = create_app(Settings(body_timeout_seconds=1), view=_NoChain())
    with ThreadedServer(app) as server, socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: verifier\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n")
        answer, sent, deadline = b"", 0, time.monotonic() + 60  # a guard against hanging, not a timing check
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break  # the server closed the connection
                answer += data
                continue
            try:
                sock.sendall(b" ")  # one byte at a time, never the whole body
                sent += 1
            except OSError:
                break
        else:
            pytest.fail(f"no answer and the connection still open after {sent} bytes")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in head.lower()
    assert b"did not arrive within 1 s" in body
    assert sent < 100000


def test_a_body_that_arrives_in_time_is_read_as_before():
    app = create_app(Settings(body_timeout_seconds=1), view=_NoChain())
    with ThreadedServer(app) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for _ in range(2):  # and the connection stays usable
            connection.request("POST", "/v1/verify", body=b"[1, 2]", headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            assert answer.status == 422 and b"JSON object" in answer.read()
        connection.close()


# ---------------------------------------------------------------------------- the metrics port
def test_with_a_metrics_port_metrics_are_answered_there_only_and_nothing_else_is():
    app = create_app(Settings(metrics_port=9100), view=_NoChain())
    with TestClient(app, base_url="http://testserver:8000") as main, \
            TestClient(app, base_url="http://testserver:9100") as metrics:
        assert main.get("/metrics").status_code == 404
        assert main.get("/").status_code == 200 and main.get("/openapi.json").status_code == 200
        for path in ["/", "/healthz", "/openapi.json", "/docs", "/metrics/", "/page.js"]:
            assert metrics.get(path).status_code == 404, path
        assert metrics.post("/v1/verify", content=b"{}").status_code == 404
        assert policy_headers(main.get("/metrics"))[0] == PAGE_POLICY


@pytest.fixture(scope="module")
def registry_address(anvil, dev_accounts):
    from registry.chain.client import RegistryClient, connect

    registry, _ = RegistryClient.deploy(connect(anvil.url), dev_accounts[0])
    return registry.address


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_with_a_metrics_port_splits_the_routes_between_the_ports(workers, anvil, registry_address, tmp_path):
    from registry.dev.devchain import free_port

    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    server = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--workers", str(workers),
                               "--port", str(port), "--metrics-port", str(metrics_port), "--rpc-url", anvil.url,
                               "--registry", registry_address, "--home", str(tmp_path)], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the verifier did not start"
            time.sleep(0.3)
        for _ in range(2 * workers):  # several connections: with two workers, either may take each
            status, text = _get(metrics_port, "/metrics")
            assert status == 200 and b"credreg_" in text
            assert _get(port, "/metrics")[0] == 404
            assert _get(metrics_port, "/healthz")[0] == 404 and _get(metrics_port, "/")[0] == 404
            assert _get(port, "/healthz")[0] == 200 and _get(port, "/")[0] == 200
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert f"/metrics on port {metrics_port} only".encode() in err


def test_serve_refuses_a_metrics_port_that_is_the_api_port(run_cli, monkeypatch):
    for name in [n for n in os.environ if n.startswith("CREDREG_")]:
        monkeypatch.delenv(name)
    code, _, err = run_cli("serve", "--port", "8123", "--metrics-port", "8123", "--registry", "0x" + "ab" * 20)
    assert code == 2 and "--metrics-port 8123 is the port of the API" in err, err
