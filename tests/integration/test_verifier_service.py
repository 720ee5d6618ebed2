"""The verifier's interfaces: the HTTP contract of ARCHITECTURE.md and `credreg verify`'s exit codes.

The service runs for real (its lifespan, its indexer following a real anvil node). Bad requests
get the documented 4xx; no request, however malformed, gets a 5xx while the chain is up, and
every answer is one the app's own OpenAPI schema declares, in status, media type and body
(Schemathesis); every verdict is a verdict.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from verifier_helpers import (  # noqa: E402, F401 (service, world: fixtures)
    ACADEMY,
    COLLEGE,
    DEAD_RPC,
    DELETE,
    STATUSES,
    anchor_by_hand,
    cli_verify,
    credreg,
    edit_receipt,
    failed_check,
    prepared,
    receipt,
    receipt_setter,
    root_of,
    service,
    setter,
    settings_for,
    synced,
    verify_http,
    wait_until,
    world,
)

from registry.chain.view import ViewHealth  # noqa: E402
from registry.service.app import Settings, create_app  # noqa: E402

MIB = 1 << 20
JSON = {"content-type": "application/json"}


def post(client, route: str, body: bytes | str):
    return client.post(route, content=body, headers=JSON)


# ---------------------------------------------------------------------------- POST /v1/verify: bad bodies

@pytest.mark.parametrize("body", [b"", b"{", b"not json", b'{"a": 1,}', b"{'a': 1}", b"\xff\xfe{}",
                                  b"[" * 100_000])
def test_body_that_is_not_json_is_422(service, body):
    assert post(service, "/v1/verify", body).status_code == 422


@pytest.mark.parametrize("body", ["[]", "[{}]", '"a credential"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_422(service, body):
    assert post(service, "/v1/verify", body).status_code == 422


def test_credential_sent_as_an_array_is_422(service, world):
    assert service.post("/v1/verify", json=[world.doc("sql")]).status_code == 422


WRONG_TYPES = {
    "proof as a string": setter(("proof",), "a proof"),
    "proof as a list": setter(("proof",), []),
    "proof null": setter(("proof",), None),
    "proof missing": setter(("proof",), DELETE),
    "path as an object": receipt_setter(("path",), {"left": "ab" * 32}),
    "path as a string": receipt_setter(("path",), "ab" * 32),
    "path null": receipt_setter(("path",), None),
    "chainId as a string": receipt_setter(("anchor", "chainId"), "31337"),
    "chainId as a float": receipt_setter(("anchor", "chainId"), 31337.0),
    "chainId as a boolean": receipt_setter(("anchor", "chainId"), True),
    "registry as a number": receipt_setter(("anchor", "registry"), 12),
    "anchor as a list": receipt_setter(("anchor",), []),
    "anchor missing": receipt_setter(("anchor",), DELETE),
    "targetHash as a number": receipt_setter(("targetHash",), 12),
    "merkleRoot too short": receipt_setter(("merkleRoot",), "ab" * 31),
    "validFrom as a number": setter(("validFrom",), 1735689600),
    "issuer as a number": setter(("issuer",), 7),
    "credentialSubject as a list": setter(("credentialSubject",), []),
    "@context missing": setter(("@context",), DELETE),
}


@pytest.mark.parametrize("wrong", WRONG_TYPES)
def test_wrong_types_give_an_invalid_verdict(service, world, wrong):
    doc = world.doc("sql")
    WRONG_TYPES[wrong](doc)
    code, verdict = verify_http(service, doc)
    assert (code, verdict["status"], failed_check(verdict)) == (200, "invalid", "format")
    assert verdict["issuer"] is None and verdict["anchor"] is None


@pytest.fixture(scope="module")
def format_1(world) -> dict:
    """A credential of the first proof format (one proof object), as holders keep them."""
    (doc,), _ = anchor_by_hand(world.registry, world.academy.account, [prepared(ACADEMY, name="Kept since 2026")],
                               fmt=1)
    return doc


# A lone surrogate (JSON "\ud800") is valid JSON but not Unicode. The document's own fields
# cannot carry one past the integrity check (RFC 8785 refuses it), but format 1's proof fields are
# quoted in verdicts: the answer must escape it, not fail to encode it. Format 2's receipt is RFC
# 8785 text in proofValue, which cannot hold one: refused as malformed, and nothing to quote.
UNENCODABLE = {
    "registry": (receipt_setter(("anchor", "registry"), "0x\ud800"), "anchor", True, 1),
    "registry, format 2": (receipt_setter(("anchor", "registry"), "0x\ud800"), "format", False, 2),
    "issuer": (setter(("issuer", "id"), "did:web:\ud800"), "integrity", False, 2),
}


@pytest.mark.parametrize("field", UNENCODABLE)
def test_text_that_is_not_unicode_is_sent_back_escaped_not_as_a_server_error(service, world, format_1, tmp_path,
                                                                              field):
    edit, check, quoted, fmt = UNENCODABLE[field]
    doc = copy.deepcopy(format_1) if fmt == 1 else world.doc("sql")
    edit(doc)
    body = json.dumps(doc)  # ASCII: the surrogate travels as the escape \ud800
    response = post(service, "/v1/verify", body)
    assert response.status_code == 200 and failed_check(response.json()) == check
    assert ("\\ud800" in response.text) == quoted
    batch = post(service, "/v1/verify/batch", f"[{body}, {json.dumps(world.doc('sql'))}]")
    assert batch.status_code == 200 and [v["status"] for v in batch.json()] == ["invalid", "valid"]
    code, verdict = cli_verify(world, None, tmp_path, raw=body)
    assert code == 1 and failed_check(verdict) == check
    # And as text, in a real process whose standard output encodes UTF-8 strictly.
    (tmp_path / "presented.json").write_text(body)
    env = {**os.environ, "CREDREG_RPC_URL": world.url, "CREDREG_REGISTRY": world.registry.address,
           "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "registry.cli", "verify", str(tmp_path / "presented.json")],
                          env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert (done.returncode, done.stderr) == (1, "") and done.stdout.startswith("INVALID")
    assert ("\\ud800" in done.stdout) == quoted


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_text_that_is_not_unicode_spelt_in_raw_bytes_is_sent_back_escaped(service, format_1, encoding):
    doc = copy.deepcopy(format_1)
    edit_receipt(doc, lambda r: r["anchor"].update(registry="0x\ud800"))
    for route, presented in (("/v1/verify", doc), ("/v1/verify/batch", [doc])):
        # No \u escape in the body: its bytes spell the surrogate, which the JSON parser reads.
        body = json.dumps(presented, ensure_ascii=False).encode(encoding, "surrogatepass")
        response = post(service, route, body)
        assert response.status_code == 200 and "\\ud800" in response.text
        verdict = response.json() if route == "/v1/verify" else response.json()[0]
        assert failed_check(verdict) == "anchor"


# ---------------------------------------------------------------------------- sizes

def _padded(doc, size: int) -> bytes:
    """``doc`` as JSON text padded with whitespace to exactly ``size`` bytes."""
    text = json.dumps(doc).encode()
    return text[:-1] + b" " * (size - len(text)) + b"}"


def test_body_of_exactly_one_mebibyte_is_verified(service, world):
    response = post(service, "/v1/verify", _padded(world.doc("sql"), MIB))
    assert response.status_code == 200 and response.json()["status"] == "valid"


def test_body_over_one_mebibyte_is_413_by_its_content_length(service, world):
    response = post(service, "/v1/verify", _padded(world.doc("sql"), MIB + 1))
    assert response.status_code == 413
    assert "1,048,577 bytes" in response.json()["detail"]


def test_body_over_one_mebibyte_is_413_without_a_content_length(service, world):
    body = _padded(world.doc("sql"), 2 * MIB)

    def chunks():  # a generator body goes out chunked, with no Content-Length to refuse up front
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    response = service.post("/v1/verify", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json()["detail"] == "body is over the 1,048,576-byte limit"


# ---------------------------------------------------------------------------- POST /v1/verify/batch

def test_batch_of_1001_credentials_is_413(service):
    assert service.post("/v1/verify/batch", json=[{}] * 1001).status_code == 413


def test_batch_of_1000_credentials_is_verified(service):
    response = service.post("/v1/verify/batch", json=[{}] * 1000)
    assert response.status_code == 200
    assert [v["status"] for v in response.json()] == ["invalid"] * 1000


@pytest.mark.parametrize("body", ["{}", '"credentials"', "3", "null", "{", ""])
def test_batch_that_is_not_a_json_array_is_422(service, body):
    assert post(service, "/v1/verify/batch", body).status_code == 422


def test_batch_of_good_and_bad_credentials_keeps_the_order(service, world):
    tampered = world.doc("web")
    tampered["name"] = "Advanced Web Design"
    docs = [world.doc("sql"), {}, world.doc("revoked"), 42, world.doc("expired"), tampered,
            world.doc("cross-issuer"), world.doc("future"), world.doc("batch2-a"), "text",
            world.doc("first-aid")]
    response = service.post("/v1/verify/batch", json=docs)
    assert response.status_code == 200
    assert [v["status"] for v in response.json()] == [
        "valid", "invalid", "revoked", "invalid", "expired", "invalid", "invalid", "invalid", "revoked",
        "invalid", "valid"]
    one_by_one = [verify_http(service, d)[1] for d in docs if isinstance(d, dict)]
    assert [v for v in response.json() if v["checks"][0]["detail"] != "not a JSON object"] == one_by_one


# ---------------------------------------------------------------------------- POST /credentials/verify (VC-API)

def vc_api(client, doc, **options):
    body = {"verifiableCredential": doc, **({"options": options} if options else {})}
    return client.post("/credentials/verify", json=body)


def test_vc_api_valid_credential_is_verified_with_the_verdict_under_results(service, world):
    doc = world.doc("sql")
    response = vc_api(service, doc)
    assert response.status_code == 200
    answer = response.json()
    assert answer == {"verified": True, "errors": [], "warnings": [],
                      "results": {"credreg": verify_http(service, doc)[1]}}
    assert answer["results"]["credreg"]["status"] == "valid"


def test_vc_api_returns_the_credential_only_when_asked(service, world):
    doc = world.doc("sql")
    assert vc_api(service, doc, returnCredential=True).json()["credential"] == doc
    assert "credential" not in vc_api(service, doc, returnCredential=False).json()


@pytest.mark.parametrize(("label", "status", "check"), [
    ("revoked", "revoked", "revocation"), ("batch2-b", "revoked", "revocation"), ("expired", "expired", "validity"),
    ("cross-issuer", "invalid", "issuer"), ("edited", "invalid", "integrity"),
])
def test_vc_api_credential_that_fails_is_not_verified_and_names_the_check(service, world, label, status, check):
    doc = world.doc("web" if label == "edited" else label)
    if label == "edited":
        doc["name"] = "Advanced Web Design"
    response = vc_api(service, doc)
    assert response.status_code == 200
    answer = response.json()
    verdict = verify_http(service, doc)[1]
    assert (answer["verified"], answer["results"]["credreg"], answer["warnings"]) == (False, verdict, [])
    assert verdict["status"] == status
    failed = [c for c in verdict["checks"] if not c["passed"]]
    assert answer["errors"] == [{"title": check, "detail": failed[-1]["detail"]}]
    if status == "revoked":
        assert "revoked" in answer["errors"][0]["detail"]


@pytest.mark.parametrize(("body", "named"), [
    ("", "request body"), ("{", "request body"), ('{"a": 1, "a": 2}', "request body"),
    ("[]", "JSON object"), ("42", "JSON object"), ("null", "JSON object"),
    ("{}", "verifiableCredential"), ('{"verifiableCredential": []}', "verifiableCredential"),
    ('{"verifiableCredential": "a credential"}', "verifiableCredential"),
    ('{"verifiableCredential": {}, "options": []}', "options"),
    ('{"verifiableCredential": {}, "options": null}', "options"),
    ('{"verifiableCredential": {}, "options": {"challenge": "x"}}', "options.challenge"),
    ('{"verifiableCredential": {}, "options": {"returnCredential": "yes"}}', "options.returnCredential"),
])
def test_vc_api_malformed_request_is_400_naming_what_is_wrong(service, body, named):
    response = post(service, "/credentials/verify", body)
    assert response.status_code == 400
    assert named in response.json()["detail"]


def test_vc_api_text_that_is_not_unicode_is_sent_back_escaped(service, format_1):
    doc = copy.deepcopy(format_1)
    edit_receipt(doc, lambda r: r["anchor"].update(registry="0x\ud800"))
    response = post(service, "/credentials/verify", json.dumps({"verifiableCredential": doc}))
    assert response.status_code == 200 and "\\ud800" in response.text
    assert [e["title"] for e in response.json()["errors"]] == ["anchor"]


def test_vc_api_body_over_the_limit_is_413(service, world):
    body = _padded({"verifiableCredential": world.doc("sql")}, MIB + 1)
    assert post(service, "/credentials/verify", body).status_code == 413


def test_vc_api_counts_and_times_its_verifications(service, world):
    before = _verification_counts(service)
    vc_api(service, world.doc("sql"))
    vc_api(service, world.doc("revoked"))
    after = _verification_counts(service)
    assert (after["valid"] - before["valid"], after["revoked"] - before["revoked"]) == (1, 1)
    assert re.search(r'^credreg_verify_seconds_count\{route="vc-api"\} [1-9]', service.get("/metrics").text, re.M)


# ---------------------------------------------------------------------------- /v1/roots/{root}, /v1/issuers

@pytest.mark.parametrize("root", ["xyz", "ab" * 31, "ab" * 33, "zz" * 32, "0x" + "ab" * 31, "0x", "-1",
                                  " " + "ab" * 32])
def test_malformed_root_is_422(service, root):
    assert service.get(f"/v1/roots/{root}").status_code == 422


def test_unknown_root_is_404(service):
    response = service.get("/v1/roots/" + "ab" * 32)
    assert response.status_code == 404 and "not anchored" in response.json()["detail"]


def test_known_root_gives_its_record(service, world):
    doc = world.doc("revoked")
    root = root_of(doc)
    expected = {"root": root, "issuerId": world.academy.id, "leafCount": 7, "revokedAt": 0,
                "revokedLeaves": 2,
                "blockNumber": receipt(doc)["anchor"]["blockNumber"],
                "transactionHash": receipt(doc)["anchor"]["transactionHash"]}
    for spelling in (root, root.upper(), "0x" + root):
        response = service.get(f"/v1/roots/{spelling}")
        assert response.status_code == 200
        record = response.json()
        assert {k: record[k] for k in expected} == expected
        block = world.w3.eth.get_block(expected["blockNumber"])
        assert record["anchoredAt"] == block["timestamp"]


def test_revoked_root_and_another_issuers_root_show_as_such(service, world):
    revoked = service.get("/v1/roots/" + root_of(world.doc("batch2-a"))).json()
    assert revoked["revokedAt"] > 0 and revoked["leafCount"] == 2 and revoked["issuerId"] == world.academy.id
    crossed = service.get("/v1/roots/" + root_of(world.doc("cross-issuer"))).json()
    assert crossed["issuerId"] == world.college.id and crossed["revokedAt"] == 0


def test_issuers_lists_both_accredited_issuers(service, world):
    response = service.get("/v1/issuers")
    assert response.status_code == 200
    assert response.json() == [
        {"id": world.academy.id, "name": ACADEMY[0], "did": ACADEMY[1], "suspended": False},
        {"id": world.college.id, "name": COLLEGE[0], "did": COLLEGE[1], "suspended": False},
    ]


# ---------------------------------------------------------------------------- GET /healthz, /metrics

def test_healthz_reports_chain_registry_blocks_and_lag(service, world):
    synced(service, world)
    head = world.w3.eth.block_number
    response = service.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert set(health) == {"ok", "reason", "chainId", "registry", "indexedBlock", "headBlock", "lag"}
    assert health["ok"] is True and health["reason"]
    assert health["chainId"] == world.chain_id == 31337
    assert health["registry"] == world.registry.address
    assert health["indexedBlock"] == health["headBlock"] == head
    assert health["lag"] == 0


def _verification_counts(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = dict(re.findall(r'^credreg_verifications_total\{status="(\w+)"\} (\S+)$', response.text, re.M))
    return {status: float(found.get(status, 0)) for status in STATUSES}


def test_metrics_count_verifications_by_status(service, world):
    before = _verification_counts(service)
    for label in ("sql", "web", "revoked", "expired"):
        verify_http(service, world.doc(label))
    verify_http(service, {"not": "a credential"})
    service.post("/v1/verify/batch", json=[world.doc("sql"), world.doc("batch2-b")])
    service.post("/v1/verify", json=[])  # 422: no verdict, nothing counted
    after = _verification_counts(service)
    assert {s: after[s] - before[s] for s in STATUSES} == {
        "valid": 3, "invalid": 1, "revoked": 2, "expired": 1, "unverifiable": 0}
    text = service.get("/metrics").text
    for gauge in ("credreg_indexed_block", "credreg_head_block", "credreg_index_lag_blocks",
                  "credreg_verify_seconds"):
        assert re.search(rf"^{gauge}", text, re.M), gauge


# ---------------------------------------------------------------------------- every answer as the schema says

# Schemathesis's checks as they come, except that a request refused as too large (413, which the
# schema declares for a batch over its maxItems) counts as refused.
CHECKS = {"negative_data_rejection": {"expected-statuses": [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]}}
# A pathway that its schema allows can still be ill-formed in ways no JSON Schema says (an
# achievement twice, a cycle, n over the children): the route refuses it with 422, naming the field.
OPERATIONS = [{"include-path": "/v1/verify/pathway", "checks": {"positive_data_acceptance": {"expected-statuses": [
    "2xx", "3xx", "401", "403", "404", "409", "413", "422", "429", "5xx"]}}}]


@pytest.fixture(scope="module")
def api_schema(world, tmp_path_factory):
    """The app's own OpenAPI schema; Schemathesis runs the app's lifespan (a real indexer) itself."""
    from schemathesis.python import asgi

    app = create_app(settings_for(world, tmp_path_factory.mktemp("fuzzed")))
    config = schemathesis.Config.from_dict({"checks": CHECKS, "operations": OPERATIONS})
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    asgi.shutdown_lifespans()


fuzzed = schemathesis.pytest.from_fixture("api_schema")


@fuzzed.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_route_answers_with_a_server_error_or_off_its_schema(case):
    response = case.call_and_validate()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"


class _ChainDown:
    """A chain view whose node does not answer: what needs the chain is unverifiable."""

    def __init__(self, world) -> None:
        self.chain_id, self.registry = world.chain_id, world.registry.address

    def health(self) -> ViewHealth:
        return ViewHealth(False, "the node does not answer")


def test_answers_while_the_chain_is_down_are_the_503s_the_schema_declares(world, tmp_path):
    app = create_app(settings_for(world, tmp_path), view=_ChainDown(world))
    # 503 is what the schema declares for these three while the chain is down: not a server error here.
    config = schemathesis.Config.from_dict({"checks": {"not_a_server_error": {
        "expected-statuses": ["2xx", "3xx", "4xx", "503"]}}})
    schema = schemathesis.openapi.from_dict(app.openapi(), config=config)
    with TestClient(app) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["reason"] == "the node does not answer"
        schema["/healthz"]["GET"].Case().validate_response(health)
        doc = world.doc("sql")
        verdict = post(client, "/v1/verify", json.dumps(doc))
        assert verdict.status_code == 503 and verdict.json()["status"] == "unverifiable"
        schema["/v1/verify"]["POST"].Case(body=doc, media_type="application/json").validate_response(verdict)
        body = {"verifiableCredential": doc}
        answer = post(client, "/credentials/verify", json.dumps(body))
        assert answer.status_code == 503 and answer.json()["verified"] is False
        assert answer.json()["results"]["credreg"] == verdict.json()
        assert [e["title"] for e in answer.json()["errors"]] == ["anchor"]
        schema["/credentials/verify"]["POST"].Case(body=body, media_type="application/json").validate_response(answer)


# ---------------------------------------------------------------------------- the schema's limits

def test_schema_publishes_the_limits_the_app_was_made_with(world):
    app = create_app(Settings(max_batch=7, max_body_bytes=5_000, max_batch_body_bytes=70_000),
                     view=_ChainDown(world))
    with TestClient(app) as client:  # the limits it enforces
        assert client.post("/v1/verify/batch", json=[{}] * 7).status_code == 200
        assert client.post("/v1/verify/batch", json=[{}] * 8).status_code == 413
        assert post(client, "/v1/verify", _padded({}, 5_001)).status_code == 413
    paths = app.openapi()["paths"]
    batch = paths["/v1/verify/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["maxItems"] == 7
    assert "70,000 bytes" in batch["responses"]["413"]["description"]
    assert "7 credentials" in batch["responses"]["413"]["description"]
    assert "5,000 bytes" in paths["/v1/verify"]["post"]["responses"]["413"]["description"]
    default = create_app(Settings()).openapi()["paths"]["/v1/verify/batch"]["post"]
    assert default["requestBody"]["content"]["application/json"]["schema"]["maxItems"] == 1000


# ---------------------------------------------------------------------------- `credreg verify FILE`

@pytest.mark.parametrize(("label", "code", "status"), [
    ("sql", 0, "valid"), ("revoked", 1, "revoked"), ("batch2-b", 1, "revoked"), ("expired", 1, "expired"),
    ("future", 1, "invalid"), ("cross-issuer", 1, "invalid"), ("tampered", 1, "invalid"),
])
def test_cli_verify_exit_code_follows_the_verdict(world, tmp_path, label, code, status):
    doc = world.doc("sql" if label == "tampered" else label)
    if label == "tampered":
        doc["validFrom"] = "2020-01-01T00:00:00Z"
    exit_code, verdict = cli_verify(world, doc, tmp_path)
    assert (exit_code, verdict["status"]) == (code, status)


@pytest.mark.parametrize("text", ["", "{", "not json", "[]", '"a credential"', '{"a": NaN}',
                                  '{"a": 1, "a": 2}'])
def test_cli_verify_of_a_file_that_is_not_a_json_object_exits_2(world, tmp_path, text):
    assert cli_verify(world, None, tmp_path, raw=text)[0] == 2


def test_cli_verify_of_a_missing_file_or_a_directory_exits_2(world, tmp_path):
    env = {"CREDREG_RPC_URL": world.url, "CREDREG_REGISTRY": world.registry.address}
    assert credreg(env, "verify", str(tmp_path / "missing.json"))[0] == 2
    assert credreg(env, "verify", str(tmp_path))[0] == 2


def test_cli_verify_with_the_chain_unreachable_exits_3(world, tmp_path):
    code, verdict = cli_verify(world, world.doc("sql"), tmp_path, rpc_url=DEAD_RPC)
    assert code == 3 and verdict is None


def test_cli_verify_json_is_the_services_verdict(world, service, tmp_path):
    synced(service, world)
    for label in ("sql", "revoked", "cross-issuer"):
        doc = copy.deepcopy(world.docs[label])
        assert cli_verify(world, doc, tmp_path)[1] == verify_http(service, doc)[1]


# ---------------------------------------------------------------------------- `credreg serve`

def _workers(parent: int) -> list[int]:
    """The uvicorn worker processes (spawned children) of ``parent``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _healthz(port: int) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:
        return 0, None  # not listening yet


def test_serve_with_two_workers_hands_each_the_settings_from_its_flags(world, tmp_path):
    """The node and the registry are flags only: a worker that read them from its environment would
    find neither (and the environment the parent spawns its workers with has no CREDREG_* at all)."""
    from registry.dev.devchain import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDREG_")}
    server = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--workers", "2", "--port", str(port),
                               "--rpc-url", world.url, "--registry", world.registry.address, "--home", str(tmp_path)],
                              env=env, cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        workers = wait_until(lambda: len(_workers(server.pid)) == 2 and _workers(server.pid), timeout=60,
                             what="two workers")
        assert all(b"CREDREG_" not in Path(f"/proc/{pid}/environ").read_bytes() for pid in workers)
        # Twenty fresh connections, spread over both workers: every one healthy, on the configured registry.
        answers = wait_until(lambda: (a := [_healthz(port) for _ in range(20)]) and all(c == 200 for c, _ in a) and a,
                             timeout=60, what="both workers healthy")
        assert {body["registry"] for _, body in answers} == {world.registry.address}
        assert server.poll() is None and sorted(_workers(server.pid)) == sorted(workers)
    finally:
        server.terminate()
        server.wait(timeout=30)
