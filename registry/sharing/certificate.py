"""The printable certificate: the verifier's own page, opened at a credential's short link, printed
to PDF by headless Chromium (`credreg certificate`).

The page does the work a person would see done: it fetches the ciphertext, decrypts it with the
key in the link's fragment, verifies the credential and builds the certificate (achievement,
recipient, issuer, dates, the short link and its QR code, how to verify it), which its print
style sheet lays out alone on one page. Chromium is given a time budget for that (its virtual
time runs only while the page is idle, so a slow verifier gets the time it needs), then prints;
``?paper=`` sets the page size (A4 or Letter). The PDF must have exactly one page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from registry.errors import BadInput, ConfigError, CredregError

PAPERS = ("a4", "letter")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BUDGET_MS = 20_000
TIMEOUT_S = 90


class RenderFailed(CredregError):
    """Chromium did not make a one-page certificate (the message says what it made, or said)."""


def chromium(given: str | None = None) -> str:
    """The Chromium to print with: ``given``, CREDREG_CHROMIUM, or the first on PATH."""
    for name in ([given] if given else []) + [os.environ.get("CREDREG_CHROMIUM", "")] + list(CHROMIUM_CANDIDATES):
        if name and (found := shutil.which(name)):
            return found
    raise ConfigError("no Chromium found to print the certificate with: install it (Debian: apt-get install "
                      "chromium) or name it with --chromium PATH / CREDREG_CHROMIUM")


def print_url(link: str, paper: str) -> str:
    """``link`` (…/s/ID#KEY) asking the page for ``paper``: the query goes before the fragment."""
    if paper not in PAPERS:
        raise BadInput(f"--paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"paper={paper}", parts.fragment))


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def render(link: str, out: Path, *, paper: str = "a4", browser: str | None = None) -> int:
    """Print the page at ``link`` to ``out`` (written whole or not at all); its size in bytes."""
    url = print_url(link, paper)
    exe = chromium(browser)
    with tempfile.TemporaryDirectory(prefix="credreg-certificate-") as work:
        pdf = Path(work) / "certificate.pdf"
        argv = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--no-pdf-header-footer",
                f"--user-data-dir={Path(work) / 'profile'}", f"--virtual-time-budget={BUDGET_MS}",
                f"--print-to-pdf={pdf}", url]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise RenderFailed(f"Chromium did not finish printing within {TIMEOUT_S} s") from None
        if done.returncode != 0 or not pdf.is_file():
            raise RenderFailed(f"Chromium could not print the certificate (exit {done.returncode}): "
                               f"{done.stderr.strip()[-300:]}")
        data = pdf.read_bytes()
        if (n := pages(data)) != 1:
            raise RenderFailed(f"the certificate came out on {n} pages, not one: did the page verify the "
                               "credential (is the verifier reachable, is the credential valid)?")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, out)
        return len(data)
