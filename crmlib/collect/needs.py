"""What a figure needs of the data, checked in one place.

A need names a contract table ("events": it has rows) or one of its columns ("transactions.category": some row
has a value there); "feedback|tickets" is met by either. A function that draws on optional data declares it with
`@needs(...)`; called on a warehouse without it, it raises `MissingData` naming what to load, which a page shows
as one line ("needs data that is not loaded: load `transactions.category`") and a stage keeps in place of that
result (see `crmlib.errors.Part`).

>>> import tempfile, pathlib
>>> from crmlib.collect.warehouse import Warehouse
>>> wh = Warehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
>>> missing(wh, ["transactions", "events.channel"])
['transactions', 'events.channel']
>>> @needs("transactions.category")
... def categories(warehouse):
...     return "drawn"
>>> categories(wh)
Traceback (most recent call last):
crmlib.errors.MissingData: Needs data that is not loaded: load `transactions.category` (see the data contract).
>>> categories.needs
('transactions.category',)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from crmlib.catalogue import t
from crmlib.collect.contract import ORDERS, TABLES
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import MissingData

F = TypeVar("F", bound=Callable)
_filled: dict[tuple[str, object], dict[str, int]] = {}  # per warehouse file and load: values per table and column


def filled(warehouse: Warehouse) -> dict[str, int]:
    """Rows per contract table ("events") and values per column ("events.channel"), as loaded now.

    Counted once per load (the latest `loads.loaded_at` and the number of loads key the count), so checking a
    need costs one small query."""
    stamp = tuple(warehouse.query("SELECT max(loaded_at) AS at, count(*) AS n FROM loads").iloc[0])
    key = (str(warehouse.path), stamp)
    if key not in _filled:
        counts: dict[str, int] = {}
        for table in (*TABLES.values(), ORDERS):
            names = [c.name for c in table.stored]
            row = warehouse.query(
                f"SELECT count(*) AS n, {', '.join(f'count({_quoted(c)}) AS {_quoted(c)}' for c in names)} "
                f'FROM "{table.name}"'
            ).iloc[0]
            counts[table.name] = int(row["n"])
            counts.update({f"{table.name}.{c}": int(row[c]) for c in names})
        _filled.clear()  # one warehouse state at a time
        _filled[key] = counts
    return _filled[key]


def missing(warehouse: Warehouse, wanted: Iterable[str]) -> list[str]:
    """The needs among `wanted` that the warehouse lacks: tables without rows, columns without a value."""
    counts = filled(warehouse)
    return [need for need in wanted if not any(counts.get(one, 0) for one in need.split("|"))]


def require(warehouse: Warehouse, *wanted: str) -> None:
    """A `MissingData` naming what to load, unless the warehouse holds every need in `wanted`."""
    lacking = missing(warehouse, wanted)
    if lacking:
        raise missing_data(lacking)


def missing_data(lacking: Iterable[str]) -> MissingData:
    """The error for needs that are not loaded, in one line that names them."""
    lacking = tuple(lacking)
    return MissingData(t("needs.load", what=named(lacking)), lacking)


def left_out(warehouse: Warehouse, declared: Mapping[str, Sequence[str]]) -> tuple[list[str], str]:
    """The parts of a figure whose data are not loaded: `declared` maps each part (a label key, such as
    "loyalty.cross_category_rate") to its needs. Returns those parts and one line naming them, grouped by what to
    load ("" when nothing is left out)."""
    lacking = {key: tuple(missing(warehouse, wanted)) for key, wanted in declared.items()}
    groups: dict[tuple[str, ...], list[str]] = {}
    for key, needs_of_key in lacking.items():
        if needs_of_key:
            groups.setdefault(needs_of_key, []).append(t(key))
    words = [t("needs.part", name=", ".join(names), what=named(group)) for group, names in groups.items()]
    return [key for key, found in lacking.items() if found], t(
        "needs.left_out", parts="; ".join(words)
    ) if words else ""


def named(lacking: Iterable[str]) -> str:
    """Needs as a page names them: "`events`, `feedback` | `tickets`"."""
    return ", ".join(" | ".join(f"`{one}`" for one in need.split("|")) for need in lacking)


def needs(*wanted: str) -> Callable[[F], F]:
    """Declare what a function of a warehouse needs: called on one that lacks any of it, the function raises
    `MissingData` instead of running. The declaration is kept as the function's `needs`."""
    unknown = [w for w in wanted if not _known(w)]
    if unknown:
        raise ValueError(f"needs {unknown}: not a contract table or column")

    def declare(function: F) -> F:
        @functools.wraps(function)
        def checked(*args, **kwargs):
            warehouse = next((a for a in (*args, *kwargs.values()) if isinstance(a, Warehouse)), None)
            if warehouse is not None:
                require(warehouse, *wanted)
            return function(*args, **kwargs)

        checked.needs = wanted  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return declare


def _known(need: str) -> bool:
    return all(_known_one(one) for one in need.split("|"))


def _known_one(need: str) -> bool:
    table, _, column = need.partition(".")
    spec = ORDERS if table == ORDERS.name else TABLES.get(table)
    return spec is not None and (not column or column in {c.name for c in spec.stored})


def _quoted(name: str) -> str:
    return f'"{name}"'
