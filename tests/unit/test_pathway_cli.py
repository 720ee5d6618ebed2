"""`credreg pathway check` without a chain: the one direct view looks each root up in the
transaction its own document's proof names, and the printed tree says what the answer says."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain_fakes import receipt_of  # noqa: E402
from test_pathways import AID, SQL, anchored, earned, published, view  # noqa: E402, F401

from registry.chain.view import DirectChainView  # noqa: E402
from registry.cli import output  # noqa: E402
from registry.cli.stack_view import StackView, claims_of  # noqa: E402
from registry.credentials import proofs  # noqa: E402
from registry.pathways import check  # noqa: E402


class _Client:
    chain_id, address = 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_each_root_is_looked_up_in_the_transaction_its_own_proof_names(view, monkeypatch):
    pathway = published(view)
    [sql] = anchored(view, [earned(SQL)])
    claims = claims_of([pathway, sql, {"not": "a credential"}, "garbage"])
    roots = {receipt_of(d)["merkleRoot"].removeprefix("0x"): proofs.claimed_anchor(d)["transactionHash"]
             for d in (pathway, sql)}
    assert claims == roots and len(claims) == 2
    asked: list[tuple[str, str | None]] = []
    monkeypatch.setattr(DirectChainView, "root", lambda self, root: asked.append((root, self.claimed_tx)))
    stack_view = StackView(_Client(), claims)
    for root in roots:
        stack_view.root("0x" + root.upper())
    stack_view.root("ab" * 32)  # a root no document claims: scanned for, no transaction named
    assert [tx for _, tx in asked] == [*roots.values(), None]


def test_the_printed_tree_marks_met_and_missing_steps_and_names_the_files(view):
    pathway = published(view)
    stack = anchored(view, [earned(SQL), earned(AID)])
    view.revoked.add((receipt_of(stack[1])["merkleRoot"].removeprefix("0x"), 1))
    data = check(pathway, stack, view).as_dict()
    text = output.pathway_check(data, ["sql.json", "aid.json"]).splitlines()
    assert text[0].startswith("INCOMPLETE  Junior Data Analyst Certificate")
    assert "    ✓ Introduction to SQL for Reporting: met by sql.json" in text
    assert "    ✗ Data Analysis with Python – Level 1: missing" in text
    assert "    ✗ One elective (1 of 2 needed, 0 met)" in text
    assert text[text.index("missing:") + 1:text.index("credentials:")] == [
        "  - Data Analysis with Python – Level 1", "  - 1 more of: Accessible Web Design, Emergency First Aid at Work"]
    assert "  ✗ aid.json: revoked; not counted: the credential is revoked" in text
    invalid = check({**pathway, "name": "edited"}, stack, view).as_dict()
    shown = output.pathway_check(invalid, ["sql.json", "aid.json"])
    assert shown.startswith("INVALID  the pathway") and "requirement:" not in shown
