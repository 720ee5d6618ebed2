"""Published status lists as the verifier knows them: the anchor maps of the folders it was given.

The service reads the public folder it serves (``credreg serve --public DIR``) at start and again
whenever its index changes (looked at no more than once a second, never per request), and
answers the two questions of ``registry.chain.view.StatusLists``: whose list a URL is, and which
(root, leaf) its map places at an index. A folder that cannot be read is logged and left out:
its credentials are then verified as if the verifier knew none of its lists, from the chain.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from registry.errors import BadInput
from registry.status import folder

log = logging.getLogger("credreg.status")


class _Map:
    """One list's anchor map, runs sorted by first index, searched by bisection."""

    __slots__ = ("issuer", "firsts", "runs")

    def __init__(self, issuer: str, runs: list[list]) -> None:
        self.issuer = issuer
        self.runs = sorted(runs, key=lambda r: r[0])
        self.firsts = [r[0] for r in self.runs]

    def holder(self, index: int) -> tuple[str, int] | None:
        at = bisect.bisect_right(self.firsts, index) - 1
        if at < 0:
            return None
        first, count, root, leaf = self.runs[at]
        return (root, leaf + index - first) if index < first + count else None


def read_maps(place: str, deployment: tuple[int, str] | None = None) -> dict[str, _Map]:
    """list URL -> its anchor map, for the folder at ``place`` (the lists of ``deployment`` alone,
    when given: a map places credentials under roots of its own chain); BadInput when it cannot
    be read."""
    fetch, name = folder.fetcher(place)
    index = folder.read_json(fetch, folder.INDEX_PATH, name)
    if not isinstance(index, Mapping) or not isinstance(index.get("issuer"), str) \
            or not isinstance(index.get("lists"), list):
        raise BadInput(f"{name}{folder.INDEX_PATH}: not a status-list index")
    maps = {}
    for entry in index["lists"]:
        if deployment is not None and (entry.get("chainId"), str(entry.get("registry", "")).lower()) != \
                (deployment[0], deployment[1].lower()):
            continue
        anchors = folder.read_json(fetch, entry["anchors"], name)
        runs = anchors.get("runs") if isinstance(anchors, Mapping) else None
        folder.holders(runs or [], 1 << 31, f"{name}{entry['anchors']}")  # validates the runs
        maps[entry["url"]] = _Map(index["issuer"], runs or [])
    return maps


class PublishedFolders:
    """:class:`~registry.chain.view.StatusLists` over folders, refreshed when their index changes."""

    def __init__(self, folders: Sequence[Path], min_interval: float = 1.0,
                 deployment: tuple[int, str] | None = None) -> None:
        self.folders = [Path(f) for f in folders]
        self.deployment = deployment
        self.min_interval = min_interval
        self._maps: dict[str, _Map] = {}
        self._stamps: tuple = ()
        self._checked = 0.0
        self._lock = threading.Lock()
        self._refresh()

    def _indexes(self) -> list[Path]:
        # Every issuer's index in the folders (a site may hold several issuers, each at its path).
        found = []
        for place in self.folders:
            found += sorted(place.glob(f"**/{folder.INDEX_PATH}"))
        return found

    def _stamp(self, indexes: list[Path]) -> tuple:
        out = []
        for index in indexes:
            try:
                stat = index.stat()
                out.append((str(index), stat.st_mtime_ns, stat.st_size))
            except OSError:
                pass
        return tuple(out)

    def _refresh(self) -> None:
        indexes = self._indexes()
        stamps = self._stamp(indexes)
        if stamps == self._stamps:
            return
        maps: dict[str, _Map] = {}
        for index in indexes:
            place = index.parents[len(Path(folder.INDEX_PATH).parts) - 1]
            try:
                maps.update(read_maps(str(place), self.deployment))
            except (BadInput, KeyError, TypeError) as exc:
                log.warning("status lists of %s left out: %s", place, exc)
        self._maps, self._stamps = maps, stamps

    def _current(self) -> dict[str, _Map]:
        now = time.monotonic()
        if now - self._checked >= self.min_interval and self._lock.acquire(blocking=False):
            try:
                self._checked = now
                self._refresh()
            finally:
                self._lock.release()
        return self._maps

    def list_issuer(self, url: str) -> str | None:
        found = self._current().get(url)
        return found.issuer if found else None

    def holder(self, url: str, index: int) -> tuple[str, int] | None:
        found = self._current().get(url)
        return found.holder(index) if found else None
