"""Helpers shared by the synthesis benchmarks: eval-data readers, a precomputed embedder, RSS."""

from __future__ import annotations

import csv
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tashawur.synthesis import USEEmbedder
from tashawur.synthesis._embed import MAX_EMBED_CHARS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("TASHAWUR_EVAL_DATA", REPO.parent / "shared" / "eval-data"))


def read_table(path: Path, delimiter: str = "\t") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


class PrecomputedUSE(USEEmbedder):
    """USE with the vectors of known texts already computed, so that a run times what follows.

    Same name, dimension and thresholds as `USEEmbedder`; a text it has not seen is embedded by
    USE (and counted in ``misses``).
    """

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.table = table
        self.misses = 0

    def embed(self, texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        keys = [t[:MAX_EMBED_CHARS] for t in texts]
        missing = sorted({k for k in keys if k not in self.table})
        if missing:
            self.misses += len(missing)
            fresh = super().embed(missing, [])
            self.table.update(zip(missing, fresh, strict=True))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.table[k] for k in keys]).astype(np.float32)


def embed_table(texts: Sequence[str]) -> tuple[dict[str, np.ndarray], float]:
    """USE vectors of the distinct texts, and the seconds it took."""
    distinct = sorted({t[:MAX_EMBED_CHARS] for t in texts})
    started = time.perf_counter()
    vectors = USEEmbedder().embed(distinct, [])
    return dict(zip(distinct, vectors, strict=True)), time.perf_counter() - started


def _memory(pid: int, page: int, rss_pages: int) -> int:
    # Proportional set size: pages shared with forked workers count once in all, not once per
    # process as resident set sizes would.
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss_pages * page


def _tree_memory(root: int) -> int:
    """Memory of a process and all its descendants, in bytes (Linux /proc; PSS where readable)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry), int(fields[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(fields[21])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in rss:
            total += _memory(pid, page, rss[pid])
        stack.extend(children.get(pid, []))
    return total


class PeakMemory:
    """Samples the summed PSS of this process and its children (process pools) every 0.2 s."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_memory(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_memory(os.getpid()))
