"""Arrow columns and contract tables from numpy arrays: times, dates, labels and the contract's schemas."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmlib.collect.contract import TABLES
from crmlib.collect.synthetic.world import NULL

ARROW_TYPES = {
    "str": pa.string(),
    "ts": pa.timestamp("s"),
    "date": pa.date32(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
}


def schema(name: str) -> pa.Schema:
    """The Arrow schema of a contract table (its columns in contract order)."""
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in TABLES[name].columns])


def labels(vocabulary, codes) -> pa.Array:
    """Strings for vocabulary codes; NULL codes give missing values.

    >>> labels(("sale", "refund"), [1, -1, 0]).to_pylist()
    ['refund', None, 'sale']
    """
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(list(vocabulary), pa.string()).take(pa.array(codes, mask=codes == NULL))


def to_arrow(kind: str, values, epoch: int) -> pa.Array:
    """One column in its contract kind: times are seconds since `epoch` (NULL missing), dates days since 1970."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(ARROW_TYPES[kind])
    values = np.asarray(values)
    if kind == "ts":
        return pa.array(values + epoch, pa.timestamp("s"), mask=values == NULL)
    if kind == "date":
        return pa.array(values.astype(np.int32), pa.date32(), mask=values == NULL)
    if kind == "float":
        return pa.array(values.astype(float), pa.float64(), from_pandas=True)
    return pa.array(values, ARROW_TYPES[kind])


def contract_table(name: str, epoch: int, columns: dict) -> pa.Table:
    """A contract table from its columns, which must be exactly the contract's, in order."""
    if tuple(columns) != TABLES[name].names:
        raise ValueError(f"{name}: columns {tuple(columns)} differ from the contract {TABLES[name].names}")
    kinds = {c.name: c.kind for c in TABLES[name].columns}
    return pa.Table.from_arrays([to_arrow(kinds[k], v, epoch) for k, v in columns.items()], schema=schema(name))
