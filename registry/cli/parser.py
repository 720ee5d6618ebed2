"""`credreg`'s command line: the common options, every command's flags, and `main`, which runs one.

What each command does lives in its own module (deploy, issuers, issuing, verify, serve, audit);
what it prints, in output; exit codes are :class:`registry.errors.ExitCode`. Only argparse and
those light modules load here, so `credreg --help` is instant: each command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from registry import __version__
from registry.cli.audit import cmd_audit
from registry.cli.certificate import cmd_certificate
from registry.cli.context import Context, load_settings
from registry.cli.deploy import cmd_deploy
from registry.cli.inspecting import cmd_inspect
from registry.cli.issuers import cmd_issuer_key, cmd_issuer_list, cmd_issuer_register, cmd_issuer_suspend
from registry.cli.issuing import cmd_anchor, cmd_issue, cmd_revoke, cmd_status
from registry.cli.keygen import cmd_issuer_keygen
from registry.cli.pathway_checking import cmd_pathway_check
from registry.cli.pathway_issuing import cmd_pathway_award, cmd_pathway_publish
from registry.cli.publishing import cmd_publish
from registry.cli.serve import cmd_serve
from registry.cli.sharing import cmd_bake
from registry.cli.sharing_links import cmd_share
from registry.cli.verify import cmd_verify
from registry.errors import CredregError, ExitCode

DEFAULT_RPC = "http://127.0.0.1:8545"  # Settings' default, repeated for the help text
EPILOG = """\
environment:
  CREDREG_RPC_URL            JSON-RPC endpoint (default http://127.0.0.1:8545)
  CREDREG_REGISTRY           registry address (default: the one `credreg deploy` recorded)
  CREDREG_HOME               state folder: store, deployments, issued files (default ./.credreg)
  CREDREG_PRIVATE_KEY        signing key (or --keystore FILE with CREDREG_KEYSTORE_PASSWORD)
  CREDREG_PUBLIC_URL         where the issuer's public folder is served (status-list URLs)
  CREDREG_DEBUG              1: print the full traceback of an error (as --debug)

exit codes: 0 success, 1 failure or not valid, 2 usage error or bad input, 3 chain unreachable
"""


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
    # Also accepted before the command (`credreg --debug anchor`); SUPPRESS keeps that one's value.
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="on an error, print the full traceback (CREDREG_DEBUG=1)")


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
    gen = _add(isub, "keygen", cmd_issuer_keygen, "make the issuer's Ed25519 signing key and its DID",
               "Make an Ed25519 signing key for the issuer's credential signatures, store it encrypted\n"
               "(scrypt, the Ethereum keystore format; password from CREDREG_KEYSTORE_PASSWORD, or asked\n"
               "on a terminal) in $CREDREG_HOME/keys/signing-<key>.json, and print the DID and the\n"
               "verification method. Never overwrites a file; never prints the secret. No chain is read.\n\n"
               "Without --did-web the DID is the key's did:key. With --did-web DOMAIN[:PATH] the DID\n"
               "document (did.json) is written into $CREDREG_HOME/public/ at the path did:web names,\n"
               "to be published at https://DOMAIN/.well-known/did.json (or https://DOMAIN/PATH/did.json).\n"
               "Run keygen again with the same --did-web to rotate: the new key is added and every key\n"
               "already listed stays, so credentials signed with old keys keep verifying.\n\n"
               "The anchoring account (the Ethereum key that anchors roots) goes into did.json as a\n"
               "blockchainAccountId when given: --address ADDRESS --chain-id N, or --keystore FILE\n"
               "--chain-id N (the address is read from the Ethereum keystore, no password needed).\n"
               "Once given, later rotations keep it.\n\n"
               "examples:\n"
               "  CREDREG_KEYSTORE_PASSWORD=... credreg issuer keygen\n"
               "  credreg issuer keygen --did-web academy.example --keystore .credreg/keys/issuer.json --chain-id 1\n"
               "  credreg issuer keygen --did-web example.com:issuers:academy --out academy-2027.json")
    gen.add_argument("--did-web", metavar="DOMAIN[:PATH]",
                     help="make did:web:DOMAIN[:PATH] and write its did.json (a port is written %%3A, e.g. host%%3A8443)")
    gen.add_argument("--out", metavar="FILE", help="keystore file (default $CREDREG_HOME/keys/signing-<key>.json)")
    gen.add_argument("--address", type=_address, help="anchoring account for did.json's blockchainAccountId")
    gen.add_argument("--chain-id", type=_positive_int, metavar="N", help="chain id of the anchoring account (with --address or --keystore)")


@command
def _issue_cmd(sub) -> None:
    p = _add(sub, "issue", cmd_issue, "validate, sign and queue Open Badges 3.0 credentials",
             "Validate Open Badges 3.0 credentials, sign them and queue them for the next `credreg anchor`.\n"
             "Each gets a random urn:uuid id if it has none, the signer's issuer (DID, name) from the\n"
             "chain, the 1EdTech JSON Schema as credentialSchema, and the issuer's eddsa-rdfc-2022\n"
             "Data Integrity signature, which every Open Badges 3.0 verifier checks. The signing key is\n"
             "the one the issuer's DID lists (did:key: the key it is made of; did:web: the newest key\n"
             "of its did.json not revoked), found in $CREDREG_HOME/keys (made by `credreg issuer\n"
             "keygen`) and unlocked with CREDREG_KEYSTORE_PASSWORD. All or nothing: one bad file and\n"
             "nothing is queued.\n\n"
             "examples:\n  credreg issue examples/credentials/\n"
             "  credreg issue --roster examples/roster.csv --achievement examples/achievement.json")
    p.add_argument("paths", nargs="*", metavar="FILE|DIR", help="credential files, or folders of *.json")
    p.add_argument("--roster", help="CSV of learners (name, email or id, optional validFrom/validUntil)")
    p.add_argument("--achievement", help="JSON of the Achievement every roster row earns")
    p.add_argument("--valid-from", help="validFrom for roster rows without one (default: now)")
    p.add_argument("--image", metavar="FILE",
                   help="with --roster: a PNG or SVG (at most 256 KiB) put into the achievement as its image, a "
                        "data: URI, so `credreg anchor --bake` can bake each credential into it")
    p.add_argument("--signing-key", metavar="FILE",
                   help="the Ed25519 keystore to sign with (default: found in $CREDREG_HOME/keys by the issuer's DID)")
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="processes that sign (default: one per core; used from 2,000 credentials)")
    p.add_argument("--unsigned", action="store_true",
                   help="deprecated: queue without a signature (format 1, checked by credreg's verifier only)")
    p.add_argument("--public-url", metavar="URL",
                   help="where the issuer's public folder is served; status lists go under it (CREDREG_PUBLIC_URL; "
                        "default for a did:web issuer: https://its-domain/)")


def _number(kind: type, low: float, high: float | None = None, what: str = "a number", bound: str | None = None):
    """An argparse type: ``kind`` in [low, high], with an error that names the value."""
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}") from None
        if number < low or (high is not None and number > high) or number != number:
            limit = bound or (f"between {low} and {high}" if high is not None else f"at least {low}")
            raise argparse.ArgumentTypeError(f"{value!r} must be {limit}")
        return number
    return parse


_positive_int = _number(int, 1, what="a whole number")
_positive_float = _number(float, 1e-9, what="a number", bound="above 0")
_reason = _number(int, 0, 255, what="a reason code (0-255)")
_port = _number(int, 1, 65535, what="a port number")


def _origin(value: str) -> str:
    from registry.service.origins import origin

    try:
        return origin(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@command
def _anchor_cmd(sub) -> None:
    p = _add(sub, "anchor", cmd_anchor, "anchor every queued credential; write each with its proof",
             "The nightly job: batch the queue into Merkle trees, anchor each root, wait for confirmations,\n"
             "and write every credential with its proof into --out. Crash-safe: run it again after any\n"
             "failure and it finishes the work without anchoring anything twice. First, unless --no-award,\n"
             "it awards the completion credential of each of the issuer's anchored pathways to every\n"
             "learner who completed it (as `credreg pathway award`), so those go into the same batch.\n\n"
             "example (cron):\n  credreg anchor --confirmations 3 --max-fee-gwei 30 --out /srv/credentials/out")
    p.add_argument("--confirmations", type=_positive_int, default=1, help="blocks deep before files are written (default 1)")
    p.add_argument("--max-fee-gwei", type=_positive_float, help="cap on the fee per gas, replacements included")
    p.add_argument("--out", help="where credential files go (default $CREDREG_HOME/issued)")
    p.add_argument("--dry-run", action="store_true", help="show the batches, gas and fees; send and write nothing")
    p.add_argument("--max-batch", type=_positive_int, default=1_000_000, help="credentials per batch (default 1,000,000)")
    p.add_argument("--replace-after", type=_positive_float, default=60.0,
                   help="seconds before a stuck transaction is replaced with a higher fee (default 60)")
    p.add_argument("--timeout", type=_positive_float, default=900.0,
                   help="seconds to wait for mining before leaving the batch to the next run (default 900)")
    p.add_argument("--no-award", action="store_true",
                   help="skip the first step: awarding the completion credentials of the issuer's pathways")
    p.add_argument("--bake", action="store_true",
                   help="beside each <uuid>.json also write <uuid>.png or .svg, the badge with the credential "
                        "baked in, when the achievement's image is a PNG or SVG data: URI (issue --image)")
    _publish_flags(p, "at the end, refresh")


@command
def _revoke_cmd(sub) -> None:
    p = _add(sub, "revoke", cmd_revoke, "revoke credentials, or a whole batch by its root",
             "Revoke for good, on chain. Targets are credential files (with their proof) or credential ids\n"
             "in the store; the indices of one batch go in one transaction. --root revokes a whole batch.\n\n"
             "reason codes (convention): 0 unspecified, 1 issued in error, 2 superseded, 3 fraud,\n"
             "4 holder's request")
    p.add_argument("targets", nargs="*", metavar="FILE|CREDENTIAL_ID")
    p.add_argument("--root", help="revoke the whole batch with this Merkle root")
    p.add_argument("--reason", type=_reason, default=0, help="reason code 0-255 (default 0)")
    _publish_flags(p, "at the end, refresh")


def _publish_flags(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("--public-out", metavar="DIR",
                   help=f"{verb} the issuer's public folder here (default $CREDREG_HOME/public)")
    _list_signing_key(p)


def _list_signing_key(p: argparse.ArgumentParser, what: str = "signs the status lists") -> None:
    p.add_argument("--signing-key", metavar="FILE",
                   help=f"the Ed25519 keystore that {what} (default: found by the issuer's DID)")


@command
def _publish_cmd(sub) -> None:
    p = _add(sub, "publish", cmd_publish, "write the issuer's public folder: DID document and status lists",
             "Mirror the chain into the issuer's public files: one signed BitstringStatusListCredential\n"
             "(W3C Bitstring Status List v1.0) per status list, with the bit of every credential revoked on\n"
             "chain set, singly or by root, whoever sent the revocation (the registry's events are read, not\n"
             "the store's record); an anchor map per list (index -> root, leaf) that lets anyone hold the\n"
             "list to the chain (`credreg audit --public`); a did:web issuer's DID document. Every file is\n"
             "replaced atomically: an interrupted publish leaves the previous files in place. `revoke` and\n"
             "`anchor` run it at the end. Publish the folder at the issuer's public URL (any static host),\n"
             "or serve it with `credreg serve --public DIR`. Status-list URLs are made at issue time under\n"
             "CREDREG_PUBLIC_URL (a did:web issuer's own site by default).\n\n"
             "example:\n  credreg publish --out /srv/www/academy.example")
    p.add_argument("--out", metavar="DIR", help="the root of the issuer's web site: each file goes at its URL's "
                                                "path (default $CREDREG_HOME/public)")
    _list_signing_key(p)


@command
def _status_cmd(sub) -> None:
    _add(sub, "status", cmd_status, "the queue, the batches and the last journal entries")


@command
def _verify_cmd(sub) -> None:
    p = _add(sub, "verify", cmd_verify, "verify a credential file (or a baked badge image) against the registry",
             "Verify a credential: its hash, its Merkle path, the on-chain root and issuer, revocation and\n"
             "validity period, reading the chain directly. FILE may be a baked badge (a PNG or SVG made by\n"
             "`credreg bake` or any Open Badges 3.0 baker): the credential is read out of it first.\n\n"
             "exit codes: 0 valid, 1 not valid (invalid, revoked, expired), 2 unreadable file or a\n"
             "malformed or hostile image, 3 unverifiable (chain unreachable or anchor not deep enough yet)\n\n"
             "examples:\n  credreg verify .credreg/issued/4b1e….json\n  credreg verify badge.png")
    p.add_argument("file", type=Path, metavar="FILE", help="a credential's JSON file, or a baked PNG or SVG badge")
    p.add_argument("--confirmations", type=_positive_int, default=1, help="blocks deep an anchor must be (default 1)")


@command
def _bake_cmd(sub) -> None:
    p = _add(sub, "bake", cmd_bake, "bake a credential into its badge image (PNG or SVG), for sharing",
             "Put a credential inside a badge image, as Open Badges 3.0 defines it: in a PNG, one\n"
             "iTXt chunk with the keyword openbadgecredential; in an SVG, an <openbadges:credential>\n"
             "element holding the credential's JSON. The image still shows as before; wallets and\n"
             "verifiers read the credential out of it (`credreg verify OUT`, POST /v1/verify with\n"
             "Content-Type image/png or image/svg+xml). An image baked already gets the new credential\n"
             "in place of the old. Nothing is checked on chain here: bake, then verify.\n\n"
             "exit codes: 0 baked, 2 not a credential, not a PNG or SVG, an SVG with a DOCTYPE or a\n"
             "script, over the size limits (image 8 MiB, credential 1 MiB), or OUT exists (--force)\n\n"
             "examples:\n  credreg bake .credreg/issued/4b1e….json badge.png        # writes .credreg/issued/4b1e….png\n"
             "  credreg bake credential.json badge.svg -o ada-badge.svg")
    p.add_argument("credential", type=Path, metavar="CREDENTIAL", help="the credential's JSON file")
    p.add_argument("image", type=Path, metavar="IMAGE", help="the badge image: a PNG or an SVG")
    p.add_argument("-o", "--out", metavar="OUT",
                   help="the baked image to write (default: CREDENTIAL's name with .png or .svg, beside it)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")


@command
def _inspect_cmd(sub) -> None:
    p = _add(sub, "inspect", cmd_inspect, "show a credential, its proofs decoded and its issuer DID (offline)",
             "Show what a credential file holds: the credential, each proof decoded (its Merkle receipt:\n"
             "targetHash, checked against the hash recomputed from the document, merkleRoot, whether the\n"
             "path leads to it, the path's sides, the anchor) and the issuer's DID, with its public key for\n"
             "a did:key. Makes no network or chain call: it checks nothing on chain (`credreg verify` does).\n"
             "The leaf's position is not shown: it follows from the path and the leaf count recorded on\n"
             "chain with the root.\n\n"
             "exit codes: 0 shown, 2 not JSON, not a credential or a proof that cannot be decoded\n\n"
             "examples:\n  credreg inspect .credreg/issued/4b1e….json\n  credreg inspect --json credential.json\n"
             "  credreg inspect badge.png   # a baked badge: the credential inside it")
    p.add_argument("file", type=Path, metavar="FILE", help="a credential's JSON file, or a baked PNG or SVG badge")


@command
def _certificate_cmd(sub) -> None:
    p = _add(sub, "certificate", cmd_certificate, "a one-page printable certificate (PDF) of a valid credential",
             "Make a one-page PDF certificate of a credential: the achievement, the recipient, the issuer,\n"
             "the dates, a short link and its QR code, and how to verify it. The credential is verified\n"
             "against the chain first (no certificate for one that is not valid), then shared as an\n"
             "encrypted short link on the verifier (as `credreg share`: only the ciphertext is stored\n"
             "there, the key stays in the link), and that link is opened on the verifier's page in\n"
             "headless Chromium, which prints the certificate the page shows. The delete token printed\n"
             "deletes the link (and so what the QR code opens).\n\n"
             "exit codes: 0 written, 1 not valid or the verifier refused, 2 unreadable file or no\n"
             "Chromium, 3 unverifiable\n\n"
             "examples:\n  credreg certificate .credreg/issued/4b1e….json -o cert.pdf\n"
             "  credreg certificate badge.png -o cert.pdf --paper letter --verifier https://verify.example")
    p.add_argument("file", type=Path, metavar="FILE", help="the credential's JSON file, or a baked PNG or SVG badge")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.pdf", help="the PDF to write")
    p.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size (default a4)")
    p.add_argument("--verifier", metavar="URL", help="the verifier that stores the link and serves the page "
                   "(CREDREG_VERIFIER_URL, default http://127.0.0.1:8000)")
    p.add_argument("--days", type=_number(int, 1, 3650, what="a whole number of days"),
                   help="days until the link expires, 1 to 3650 (default: the verifier's, 365)")
    p.add_argument("--chromium", metavar="PATH", help="the Chromium to print with (CREDREG_CHROMIUM; default: on PATH)")
    p.add_argument("--confirmations", type=_positive_int, default=1, help="blocks deep the anchor must be (default 1)")


@command
def _share_cmd(sub) -> None:
    p = _add(sub, "share", cmd_share, "an encrypted short link to a credential, stored on a verifier",
             "Share a credential as a short link: the file is encrypted here (AES-256-GCM, a fresh key),\n"
             "only the ciphertext is stored on the verifier, and the link is <verifier>/s/<id>#<key>. The\n"
             "key after '#' is never sent to any server, so the verifier cannot read what it stores.\n"
             "Whoever opens the link sees the credential verified, in the browser. The share expires\n"
             "after --days; the delete token printed once deletes it earlier:\n"
             "  curl -X DELETE -H 'Authorization: Bearer <token>' <verifier>/v1/shares/<id>\n\n"
             "exit codes: 0 shared, 1 the verifier refused it or cannot be reached, 2 unreadable file\n\n"
             "examples:\n  credreg share .credreg/issued/4b1e….json --verifier https://verify.example\n"
             "  credreg share cred.json --days 30 --qr link.svg")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--verifier", metavar="URL", help="the verifier to store it on (CREDREG_VERIFIER_URL, "
                   "default http://127.0.0.1:8000)")
    p.add_argument("--days", type=_number(int, 1, 3650, what="a whole number of days"),
                   help="days until the share expires, 1 to 3650 (default: the verifier's, 365)")
    p.add_argument("--qr", type=Path, metavar="OUT.svg", help="also write the full link as a QR code (SVG)")


@command
def _pathway_cmd(sub) -> None:
    p = sub.add_parser("pathway", help="stackable pathways: publish, check a stack, award completion",
                       description="Pathways: which achievements add up to a completion achievement (README, "
                                   "\"Pathways\").")
    psub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    pub = _add(psub, "publish", cmd_pathway_publish, "validate, sign and queue a pathway for the next anchor")
    pub.add_argument("file", type=Path, metavar="FILE")
    _list_signing_key(pub, "signs the pathway (eddsa-jcs-2022)")
    chk = _add(psub, "check", cmd_pathway_check, "check a learner's credentials against a pathway",
               "Check a learner's stack of credential files against a pathway file, reading the chain\n"
               "directly: the pathway is verified first (who published it, not edited, not withdrawn),\n"
               "then each credential. Only valid credentials of the one learner count, each for one\n"
               "requirement, from an issuer that requirement allows, no older than it allows. Prints the\n"
               "requirement tree (met / missing, the file that met each step), what is missing, and each\n"
               "credential's verdict and why it did or did not count; --json prints the same answer as\n"
               "POST /v1/verify/pathway.\n\n"
               "The learner: the credentials' one credentialSubject.id, else --subject; for credentials\n"
               "with a hashed email identity, --email (matched with each credential's own salt).\n\n"
               "exit codes: 0 complete, 1 incomplete, or invalid (the pathway itself fails), 2 a file\n"
               "that cannot be read or a question that cannot be asked (several learners and no\n"
               "--subject), 3 unverifiable (the chain cannot be read now)\n\n"
               "examples:\n"
               "  credreg pathway check junior-data-analyst.json sql.json python.json first-aid.json\n"
               "  credreg pathway check --email ada@example.org pathway.json stack/*.json\n"
               "  credreg pathway check --json --subject did:example:ada pathway.json stack/*.json")
    chk.add_argument("pathway", type=Path, metavar="PATHWAY", help="the pathway document, as published (with its proofs)")
    chk.add_argument("files", type=Path, nargs="+", metavar="FILE", help="the learner's credential files")
    who = chk.add_mutually_exclusive_group()
    who.add_argument("--subject", metavar="ID", help="the learner's credentialSubject.id")
    who.add_argument("--email", metavar="ADDRESS", help="the learner's email, matched against hashed identities")
    chk.add_argument("--confirmations", type=_positive_int, default=1, help="blocks deep an anchor must be (default 1)")
    awd = _add(psub, "award", cmd_pathway_award, "queue the completion credential for every learner who completed it")
    awd.add_argument("pathway", type=Path, metavar="PATHWAY")
    awd.add_argument("--dry-run", action="store_true", help="list who would receive it; queue nothing")
    awd.add_argument("--with", dest="with_files", type=Path, nargs="+", metavar="FILE",
                     help="credentials presented besides the store's (another issuer's, say), checked like a stack")
    awd.add_argument("--email", metavar="ADDRESS",
                     help="award the learner of this email (hashed identities cannot be grouped from the store)")
    _list_signing_key(awd, "signs the completion credentials")


@command
def _serve_cmd(sub) -> None:
    p = _add(sub, "serve", cmd_serve, "serve the verifier: HTTP API and the verification page",
             "Serve POST /v1/verify, /v1/verify/batch, /v1/verify/pathway, /v1/issuers, /v1/roots/{root},\n"
             "/healthz, /metrics "
             "and the page at /. Verdicts come from an index of the registry's events, kept fresh in the\n"
             "background; when the chain cannot be read they are `unverifiable`, never `valid`.\n\n"
             "Under hostile use: every answer has a Content-Security-Policy that lets the page load only\n"
             "from this server (no inline script, no other site, no framing), nosniff and no Referer.\n"
             "No other site's page may call the API (no CORS) unless --cors-origin names it. A request\n"
             "body must arrive whole within CREDREG_BODY_TIMEOUT_SECONDS (default 10), else 408.\n\n"
             "example:\n"
             "  credreg serve --host 0.0.0.0 --workers 2 --cors-origin https://wallet.example --metrics-port 9100")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--confirmations", type=_positive_int, help="blocks deep an anchor must be (default 1)")
    p.add_argument("--public", metavar="DIR", type=Path,
                   help="also serve this public folder (DID document, status lists) at its paths, with "
                        "Cache-Control and ETag (CREDREG_PUBLIC_DIR)")
    p.add_argument("--cors-origin", metavar="ORIGIN", type=_origin, action="append",
                   help="let pages of this origin (scheme://host[:port], or * for any) call the API from a "
                        "browser; repeat for several; replaces CREDREG_CORS_ORIGINS (default: none may). "
                        "The --public files are readable from any origin regardless")
    p.add_argument("--metrics-port", metavar="PORT", type=_port,
                   help="serve /metrics on this port (same --host) and only there: the main port answers "
                        "it with 404, and this port answers nothing else (CREDREG_METRICS_PORT)")


@command
def _audit_cmd(sub) -> None:
    p = _add(sub, "audit", cmd_audit, "check the deployed registry's code and replay its whole history",
             "For auditors: compare the deployed bytecode with the source published in the package, show\n"
             "governance (owner, pending owner) and issuers, replay every event since deployment and check\n"
             "it against the contract's state. With --public, also hold each issuer's published status\n"
             "lists to the chain: every credential revoked on chain is set in its list, no bit is set that\n"
             "the chain does not have, each list is signed by a key of its issuer. Each mismatch is named.\n"
             "Exit 0 when all agree, 1 otherwise.\n\n"
             "example:\n  credreg audit --public https://academy.example/ --public .credreg/public")
    p.add_argument("--public", metavar="DIR|URL", action="append", default=[],
                   help="an issuer's public folder, or the URL it is served at (repeat for several issuers)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="credreg",
        description="credreg: anchor micro-credentials on chain in Merkle batches, and verify them.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"credreg {__version__}")
    parser.add_argument("--debug", action="store_true", help="on an error, print the full traceback (CREDREG_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A presented file can quote text that is not Unicode (a lone surrogate spelled as a JSON
    # escape) into a verdict; print it escaped rather than fail with the answer half-written.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2 (argparse)
    settings = None
    try:
        settings = load_settings(args)
        return args.func(Context(args, settings))
    except CredregError as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "kind": type(exc).__name__, "exitCode": exc.exit_code}))
        if args.debug or (settings is not None and settings.debug):
            traceback.print_exc()
        else:
            print(f"credreg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("credreg: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `credreg status | head`
        sys.stderr.close()
        return ExitCode.OK
