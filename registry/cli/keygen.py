"""`credreg issuer keygen`: a new Ed25519 signing key, encrypted at rest, and the issuer's DID.

Without ``--did-web`` the DID is the key's ``did:key``. With it, the did:web DID document is
written into the issuer's public folder (``$CREDREG_HOME/public/``) where the DID says; running
keygen again for the same did:web rotates: the new key joins the keys the document already lists,
so credentials signed with the old ones keep verifying. Nothing here reads the chain.
"""

from __future__ import annotations

import json
from pathlib import Path

from registry.cli.context import Context
from registry.errors import BadInput, ConfigError, ExitCode

_PREFIX_CHARS = 16  # "z6Mk" and 12 more: distinct enough to tell an issuer's keys apart in a folder


def cmd_issuer_keygen(ctx: Context) -> int:
    from registry.identity import did as dids
    from registry.identity import keys

    args = ctx.args
    anchoring = _anchoring(args)
    web = document_path = None
    records: list = []
    if args.did_web is not None:
        subject = dids.did_web(args.did_web)
        web = dids.parse_did_web(subject)
        document_path = web.document_path(ctx.home / "public")
        records, kept_anchoring = dids.read_did_web_document(document_path, subject)
        anchoring = anchoring or kept_anchoring
        if records:  # a document that cannot be rewritten is refused before any key is made
            dids.did_web_document(subject, records, anchoring=anchoring)
    elif anchoring is not None:
        raise BadInput("--address and --chain-id go into a did:web document: give --did-web too")
    password = ctx.keystore_password("password for the new keystore: ",
                                     "no keystore password: set CREDREG_KEYSTORE_PASSWORD "
                                     "(or run keygen in a terminal to be asked for one)", new=True)

    key = keys.SigningKey.generate()
    public = key.public_multibase
    path = Path(args.out) if args.out else ctx.home / "keys" / f"signing-{public[:_PREFIX_CHARS]}.json"
    keys.save(key, path, password)  # refuses to overwrite any file
    data = {"publicKeyMultibase": public, "keystore": str(path)}
    if web is None:
        data |= {"did": dids.did_key(public), "verificationMethod": dids.did_key_verification_method(public)}
    else:
        document = dids.did_web_document(web.did, [*records, dids.KeyRecord(public)], anchoring=anchoring)
        dids.write_did_document(ctx.home / "public", document)
        data |= {"did": web.did, "verificationMethod": dids.verification_method_id(web.did, public),
                 "didDocument": str(document_path), "publishAt": web.url,
                 "keys": [m["publicKeyMultibase"] for m in document["verificationMethod"]
                          if m["type"] == "Multikey"]}
        if anchoring is not None:
            data["blockchainAccountId"] = dids.blockchain_account_id(*anchoring)
    ctx.emit(data, _text(data))
    return ExitCode.OK


def _text(data: dict) -> str:
    lines = [f"did:                {data['did']}",
             f"verificationMethod: {data['verificationMethod']}",
             f"keystore:           {data['keystore']} (encrypted)"]
    if "didDocument" in data:
        lines += [f"did document:       {data['didDocument']} ({len(data['keys'])} key(s))",
                  f"publish it at:      {data['publishAt']}"]
        if "blockchainAccountId" in data:
            lines.append(f"anchoring account:  {data['blockchainAccountId']}")
    return "\n".join(lines)


def _anchoring(args) -> tuple[int, str] | None:
    """(chain id, address) of the anchoring account: --address, else the --keystore's address."""
    address = args.address
    if address is None and args.keystore is not None:
        address = _keystore_address(args.keystore)
    if address is None and args.chain_id is None:
        return None
    if address is None or args.chain_id is None:
        raise BadInput("the anchoring account needs both an address (--address or --keystore) and --chain-id")
    from registry.identity.did import blockchain_account_id

    blockchain_account_id(args.chain_id, address)  # validates both
    return args.chain_id, address


def _keystore_address(path: Path) -> str:
    # An Ethereum keystore names its account in the clear: no password is needed to read it.
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read keystore: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a JSON keystore") from None
    address = document.get("address") if isinstance(document, dict) else None
    if not isinstance(address, str):
        raise ConfigError(f"{path}: not an Ethereum keystore (no address)")
    return address if address.startswith("0x") else f"0x{address}"


