"""`credreg`: the command line. It parses, calls the library and prints; nothing else.

Every command takes --json, --rpc-url, --registry, --home and --keystore (ARCHITECTURE.md).
Exit codes: 0 success, 1 failure or not valid, 2 usage error or bad input, 3 chain unreachable.
Heavy imports happen inside the commands, so `credreg --help` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry.errors import ConfigError, CredregError

DEFAULT_RPC = "http://127.0.0.1:8545"
EPILOG = """\
environment:
  CREDREG_RPC_URL            JSON-RPC endpoint (default http://127.0.0.1:8545)
  CREDREG_REGISTRY           registry address (default: the one `credreg deploy` recorded)
  CREDREG_HOME               state folder: store, deployments, issued files (default ./.credreg)
  CREDREG_PRIVATE_KEY        signing key (or --keystore FILE with CREDREG_KEYSTORE_PASSWORD)

exit codes: 0 success, 1 failure or not valid, 2 usage error or bad input, 3 chain unreachable
"""


class Context:
    """What every command needs: resolved options, lazily built chain objects, and output."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json: bool = args.json
        self.home = Path(args.home or os.environ.get("CREDREG_HOME") or ".credreg")
        self.rpc_url: str = args.rpc_url or os.environ.get("CREDREG_RPC_URL") or DEFAULT_RPC
        self._w3 = None

    @property
    def w3(self):
        if self._w3 is None:
            from registry.chain.client import connect

            self._w3 = connect(self.rpc_url)
        return self._w3

    def signer(self):
        from registry.chain.signer import load_signer

        return load_signer(self.args.keystore)

    def registry(self):
        """The registry client: --registry / CREDREG_REGISTRY, else what deploy recorded."""
        from registry.chain import deployments
        from registry.chain.client import RegistryClient

        address = self.args.registry or os.environ.get("CREDREG_REGISTRY")
        if not address:
            chain_id = self.w3.eth.chain_id
            found = deployments.recorded(self.home, chain_id)
            if found is None:
                raise ConfigError(f"no registry for chain {chain_id}: pass --registry, set CREDREG_REGISTRY, "
                                  f"or run `credreg deploy` (home {self.home})")
            address = found.address
        client = RegistryClient(self.w3, address)
        client.require_code()
        return client

    def emit(self, data: dict[str, Any], text: str) -> None:
        print(json.dumps(data, indent=2, default=str) if self.json else text)


# ---------------------------------------------------------------------------- commands

def cmd_deploy(ctx: Context) -> int:
    from registry.chain import deployments
    from registry.chain.client import RegistryClient

    chain_id = ctx.w3.eth.chain_id
    if ctx.args.reuse:
        found = deployments.recorded(ctx.home, chain_id)
        if found and len(ctx.w3.eth.get_code(found.address)) > 0:
            ctx.emit({**found._asdict(), "reused": True}, found.address)
            return 0
    signer = ctx.signer()
    client, receipt = RegistryClient.deploy(ctx.w3, signer, owner=ctx.args.owner,
                                            max_fee_gwei=ctx.args.max_fee_gwei)
    record = deployments.Deployment(chain_id, client.address, receipt["blockNumber"],
                                    "0x" + receipt["transactionHash"].hex().removeprefix("0x"))
    deployments.record(ctx.home, record)
    ctx.emit({**record._asdict(), "reused": False, "gasUsed": receipt["gasUsed"]}, client.address)
    return 0


def cmd_issuer_register(ctx: Context) -> int:
    registry = ctx.registry()
    issuer_id, receipt = registry.register_issuer(ctx.args.name, ctx.args.did, ctx.args.key, ctx.signer())
    ctx.emit({"issuerId": issuer_id, "name": ctx.args.name, "did": ctx.args.did, "key": ctx.args.key,
              "transactionHash": receipt["transactionHash"].hex()},
             f"registered issuer {issuer_id}: {ctx.args.name} ({ctx.args.did}), key {ctx.args.key}")
    return 0


def cmd_issuer_list(ctx: Context) -> int:
    registry = ctx.registry()
    issuers = [registry.issuer(i) for i in range(1, registry.issuer_count() + 1)]
    lines = [f"{i.id:>4}  {i.name}  {i.did}  keys={i.key_count}{'  SUSPENDED' if i.suspended else ''}"
             for i in issuers]
    ctx.emit({"issuers": [i._asdict() for i in issuers]}, "\n".join(lines) or "no issuers")
    return 0


def cmd_issuer_key(ctx: Context) -> int:
    registry = ctx.registry()
    if ctx.args.action == "add-key":
        receipt = registry.transact("addIssuerKey", [ctx.args.issuer_id, ctx.args.key], ctx.signer())
        text = f"added key {ctx.args.key} to issuer {ctx.args.issuer_id}"
    else:
        receipt = registry.transact("removeIssuerKey", [ctx.args.key], ctx.signer())
        text = f"removed key {ctx.args.key}"
    ctx.emit({"key": ctx.args.key, "transactionHash": receipt["transactionHash"].hex()}, text)
    return 0


def cmd_issuer_suspend(ctx: Context) -> int:
    suspended = ctx.args.action == "suspend"
    receipt = ctx.registry().transact("setIssuerSuspended", [ctx.args.issuer_id, suspended], ctx.signer())
    ctx.emit({"issuerId": ctx.args.issuer_id, "suspended": suspended,
              "transactionHash": receipt["transactionHash"].hex()},
             f"issuer {ctx.args.issuer_id} {'suspended' if suspended else 'reinstated'}")
    return 0


# ---------------------------------------------------------------------------- parser

def _address(value: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not is_address(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an Ethereum address")
    return to_checksum_address(value)


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("common options")
    group.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    group.add_argument("--rpc-url", help="JSON-RPC endpoint (CREDREG_RPC_URL, default %s)" % DEFAULT_RPC)
    group.add_argument("--registry", help="registry address (CREDREG_REGISTRY, default: recorded by deploy)")
    group.add_argument("--home", help="state folder (CREDREG_HOME, default ./.credreg)")
    group.add_argument("--keystore", type=Path, help="encrypted keystore of the signer "
                       "(password: CREDREG_KEYSTORE_PASSWORD); default: CREDREG_PRIVATE_KEY")


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def command(register: Callable[[argparse._SubParsersAction], None]):
    COMMANDS.append(register)
    return register


def _add(sub, name: str, func: Callable[[Context], int], help: str, description: str | None = None):
    parser = sub.add_parser(name, help=help, description=description or help, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(parser)
    parser.set_defaults(func=func)
    return parser


@command
def _deploy(sub) -> None:
    p = _add(sub, "deploy", cmd_deploy, "deploy the registry; print and record its address",
             "Deploy CredentialRegistry from the compiled artifact in the package (no compiler needed),\n"
             "print its address and record it in $CREDREG_HOME/deployments.json for this chain.")
    p.add_argument("--owner", type=_address, help="governance owner (default: the signer); a multisig in production")
    p.add_argument("--reuse", action="store_true", help="keep the recorded registry if it is still on chain")
    p.add_argument("--max-fee-gwei", type=float, help="cap on the fee per gas")


@command
def _issuer(sub) -> None:
    p = sub.add_parser("issuer", help="accredit and manage issuers (registry owner)",
                       description="Governance: accredit issuers, manage their keys, suspend them.")
    isub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    reg = _add(isub, "register", cmd_issuer_register, "accredit an issuer with its first key")
    reg.add_argument("--name", required=True, help="the issuer's display name")
    reg.add_argument("--did", required=True, help="the issuer's DID, e.g. did:web:academy.example")
    reg.add_argument("--key", required=True, type=_address, help="the issuer's first signing key (address)")
    _add(isub, "list", cmd_issuer_list, "list the accredited issuers")
    for action, text in (("add-key", "add a signing key to an issuer"), ("remove-key", "remove a signing key")):
        k = _add(isub, action, cmd_issuer_key, text)
        if action == "add-key":
            k.add_argument("issuer_id", type=int, metavar="ISSUER_ID")
        k.add_argument("key", type=_address, metavar="ADDRESS")
    for action, text in (("suspend", "suspend an issuer: its keys can no longer anchor"),
                         ("reinstate", "lift a suspension")):
        _add(isub, action, cmd_issuer_suspend, text).add_argument("issuer_id", type=int, metavar="ISSUER_ID")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="credreg",
        description="credreg: anchor micro-credentials on chain in Merkle batches, and verify them.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2 (argparse)
    ctx = Context(args)
    try:
        return args.func(ctx)
    except CredregError as exc:
        if ctx.json:
            print(json.dumps({"error": str(exc), "kind": type(exc).__name__, "exitCode": exc.exit_code}))
        print(f"credreg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("credreg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
