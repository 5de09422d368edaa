"""Checking a source too big for memory in parts: its records are spilled to disk by a hash of their key, so each
check that compares records sees, in one part, every record it compares.

The key is the table's id column (for transactions, the order's `transaction_id`): records equal in every column
share it, the lines of one order share it, and so do records repeating an id. Each part keeps the records in their
original order, so it is checked exactly as the whole source would be: a duplicate names the same first row, an
order the same lines. A source that fits in one chunk is never spilled.

>>> import tempfile
>>> frame = pd.DataFrame({"event_id": ["e1", "e2", "e1", None], "x": ["a", "b", "c", "d"]})
>>> raw = RawTable("events", "ev.csv", frame, pd.Series([2, 3, 4, 5]))
>>> spill = Spill(tempfile.mkdtemp(), parts=3)
>>> spill.add(raw)
>>> parts = list(spill.parts())
>>> [p.frame.loc[p.frame["event_id"] == "e1", "x"].tolist() for p in parts if "e1" in set(p.frame["event_id"])]
[['a', 'c']]
>>> sorted(x for p in parts for x in p.frame["x"]), sorted(r for p in parts for r in p.row_numbers)
(['a', 'b', 'c', 'd'], [2, 3, 4, 5])
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from crmlib.collect.contract import TABLES
from crmlib.collect.parsing import tidy_ids
from crmlib.collect.sources import RawTable

ROW, HASH, ORIGIN = "__row_number", "__record_hash", "__origin"  # the bookkeeping columns of a spilled piece


def part_of(raw: RawTable, parts: int) -> np.ndarray:
    """The part of every record of `raw`: a hash of its key (as the checks will read it) modulo `parts`."""
    key = raw.frame[TABLES[raw.table].id_column]
    text = tidy_ids(key.astype("str").where(key.notna()).str.strip())
    return (pd.util.hash_array(text.fillna("").to_numpy(dtype=object)) % np.uint64(parts)).astype(np.int64)


class Spill:
    """A source's records on disk in `parts` parts: `add` chunks in their order, then read each part back."""

    def __init__(self, folder: str | Path, parts: int):
        self.folder, self.parts_count, self.chunks = Path(folder), parts, 0
        self.folder.mkdir(parents=True, exist_ok=True)
        self.template: RawTable | None = None

    def add(self, raw: RawTable) -> None:
        """Write a chunk's records, each to its part (one file per part and chunk)."""
        if self.template is None:
            self.template = raw
        origin = (pd.Categorical.from_codes(np.zeros(len(raw.frame), dtype=np.int8), categories=[raw.source])
                  if raw.origins is None else raw.origins.astype("category"))  # fmt: skip
        piece = raw.frame.assign(**{ROW: raw.row_numbers.to_numpy(), ORIGIN: origin})
        if raw.record_hash is not None:
            piece[HASH] = raw.record_hash.to_numpy()
        part = part_of(raw, self.parts_count)
        for p in np.unique(part):
            rows = piece[part == p]
            feather.write_feather(pa.Table.from_pandas(rows, preserve_index=False), self._file(int(p), self.chunks))
        self.chunks += 1

    def parts(self) -> Iterator[RawTable]:
        """Each part that holds records, as a RawTable (the records in their original order)."""
        assert self.template is not None, "add at least one chunk first"
        for p in range(self.parts_count):
            files = [self._file(p, c) for c in range(self.chunks) if self._file(p, c).is_file()]
            if not files:
                continue
            frame = pd.concat([feather.read_table(f).to_pandas() for f in files], ignore_index=True)
            hashes = frame.pop(HASH) if HASH in frame else None
            rows, origins = frame.pop(ROW).astype("int64"), frame.pop(ORIGIN)
            yield RawTable(self.template.table, self.template.source, frame, rows,
                           record_hash=None if hashes is None else hashes.astype("uint64"),
                           origins=origins.astype(str) if origins.nunique() > 1 else None)  # fmt: skip

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _file(self, part: int, chunk: int) -> Path:
        return self.folder / f"part-{part:04d}-{chunk:06d}.arrow"
