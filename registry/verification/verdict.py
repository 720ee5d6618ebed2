"""The verdict on a credential, as ARCHITECTURE.md publishes it: a status and its named checks.

Immutable named tuples: a batch of a thousand credentials makes seven thousand checks, and a
tuple is the cheapest immutable record Python has (``as_dict`` unpacks each into a dict display,
the quickest way Python has to make a small dict).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Check(NamedTuple):
    """One named step of a verification and how it went (a tuple: seven are made per credential)."""

    name: str
    passed: bool
    detail: str


class Verdict(NamedTuple):
    """The answer on one credential (a tuple, like Check: a batch makes a thousand)."""

    status: str  # valid | invalid | revoked | expired | unverifiable
    checks: tuple[Check, ...]
    issuer: dict[str, Any] | None = None
    anchor: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        # A batch turns seven thousand checks: a dict display is twice as quick as dict(zip(...)).
        return {"status": self.status,
                "checks": [{"name": name, "passed": passed, "detail": detail} for name, passed, detail in self.checks],
                "issuer": self.issuer, "anchor": self.anchor}
