"""`make slither`: Slither on contracts/, held to the triage in contracts/slither-triage.tsv.

Two steps around the `slither` command (a leading underscore keeps `ape run` from listing this):

- ``input OUT``: writes the contract's solc standard-JSON input, every source inlined exactly as
  ``registry.chain.artifact`` builds it from contracts/ (so the artifact's settings are analysed),
  plus the AST output Slither reads. solc-js has no ``--combined-json``, so crytic-compile's
  ``solc-json`` platform hands this file to the solc shim's ``--standard-json``.
- ``check REPORT TRIAGE``: reads Slither's ``--json`` report and fails on any high or medium
  finding, on any other finding not listed in the triage, and on a triage entry that no longer
  matches a finding (so the list stays exactly what Slither reports, no more).

A finding is matched by its detector and its description with line numbers taken out, so that an
edit elsewhere in a file does not unmatch it, while a change to the code it names does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

from registry.chain.artifact import standard_json_input

# Never triaged: findings of these impacts are fixed in the contract.
BLOCKING = {"High", "Medium"}
_LINES = re.compile(r"#\d+(?:-\d+)?\)")
_OUTPUT = ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode", "evm.deployedBytecode"]


class Finding(NamedTuple):
    check: str
    impact: str
    finding: str


def finding_text(description: str) -> str:
    """A description without line numbers, its whitespace collapsed: stable across edits elsewhere."""
    return " ".join(_LINES.sub(")", description).split())


def write_input(out: Path, root: Path) -> None:
    source_input = standard_json_input(root)
    source_input["settings"]["outputSelection"] = {"*": {"*": _OUTPUT, "": ["ast"]}}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(source_input))


def read_report(report: Path) -> list[Finding]:
    data: dict[str, Any] = json.loads(report.read_text())
    if not data.get("success"):
        raise SystemExit(f"{report}: Slither failed: {data.get('error')}")
    detectors = (data.get("results") or {}).get("detectors", [])
    return [Finding(d["check"], d["impact"], finding_text(d["description"])) for d in detectors]


def read_triage(triage: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The triage file: `#` comments, a header line, then tab-separated fields per finding.

    Not JSON: Ape compiles every .json file in contracts/ as a contract ABI.
    """
    lines = [line for line in triage.read_text().splitlines() if line and not line.startswith("#")]
    header, rows = lines[0].split("\t"), lines[1:]
    keyed = {}
    for number, row in enumerate(rows, start=1):
        entry = dict(zip(header, row.split("\t"), strict=True))
        if entry["impact"] in BLOCKING:
            raise SystemExit(f"{triage}: a {entry['impact']} finding cannot be triaged: fix it "
                             f"({entry['check']}: {entry['finding']})")
        if not entry["why"].strip():
            raise SystemExit(f"{triage}: entry {number} gives no reason: {entry['check']}: {entry['finding']}")
        keyed[(entry["check"], finding_text(entry["finding"]))] = entry
    return keyed


def check(report: Path, triage: Path) -> int:
    findings = read_report(report)
    triaged = read_triage(triage)
    problems = []
    for f in findings:
        if f.impact in BLOCKING:
            problems.append(f"{f.impact} finding, to be fixed: {f.check}: {f.finding}")
        elif (f.check, f.finding) not in triaged:
            problems.append(f"{f.impact} finding not in {triage}: {f.check}: {f.finding}")
    seen = {(f.check, f.finding) for f in findings}
    problems += [f"triage entry matches no finding (remove it): {detector}: {text}"
                 for (detector, text) in triaged if (detector, text) not in seen]
    for f in findings:
        print(f"slither: {f.impact:<13} {f.check}: {f.finding}")
    if problems:
        print("\n".join(f"slither: FAIL {p}" for p in problems), file=sys.stderr)
        return 1
    print(f"slither: {len(findings)} findings, none high or medium, each triaged in {triage}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts._slither_gate", description=__doc__.split("\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    make_input = steps.add_parser("input", help="write the standard-JSON input Slither analyses")
    make_input.add_argument("out", type=Path)
    make_input.add_argument("--root", type=Path, default=Path.cwd())
    gate = steps.add_parser("check", help="compare Slither's --json report with the triage")
    gate.add_argument("report", type=Path)
    gate.add_argument("triage", type=Path)
    args = parser.parse_args(argv)
    if args.step == "input":
        write_input(args.out, args.root)
        return 0
    return check(args.report, args.triage)


if __name__ == "__main__":
    sys.exit(main())
