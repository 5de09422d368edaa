"""A suggested `ingest:` block for a folder of downloads (`crm map DIR`): a preset when one fits, else a guess per
column with its evidence, for the user to read and paste into the parameters.

A preset fits a file when nearly all the columns its mapping names are in the file's header (found below any title
rows). Otherwise each contract column of the transactions is matched to the file's column whose name says it (in
English or Indonesian) and whose values read as that column's kind; the comment beside each says how many of the
first rows read so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import yaml

from crmlib.catalogue import t
from crmlib.collect.contract import TABLES
from crmlib.collect.headers import normalize_header
from crmlib.collect.options import IngestOptions
from crmlib.collect.parsing import PARSERS, money_reading
from crmlib.collect.presets import PRESETS
from crmlib.collect.sources import SUFFIXES, find_header, preview, table_and_kind
from crmlib.errors import SourceError

FITS = 0.8  # a preset fits when this share of the columns its mapping names are in the file
SAMPLE_ROWS = 200

NAMES: dict[str, tuple[str, ...]] = {
    "ts": ("date", "tanggal", "waktu", "time", "created", "dibuat", "paid_at"),
    "amount": ("total", "amount", "revenue", "jumlah_bayar", "subtotal", "nilai", "penjualan", "net_sales"),
    "quantity": ("quantity", "qty", "jumlah_produk", "kuantitas", "items", "jumlah"),
    "unit_price": ("price", "harga", "unit_cost"),
    "product_id": ("sku", "stock", "kode_produk", "product_code", "item_code", "barcode"),
    "category": ("category", "kategori"),
    "kind": ("status",),
    "customer_id": ("customer", "pelanggan", "pembeli", "buyer", "email", "member", "username", "client"),
    "transaction_id": ("order", "invoice", "pesanan", "faktur", "nota", "receipt", "transaction"),
}
"""Words a column's name holds when it is the contract column (normalised headers contain them), in the order the
columns are matched: times and numbers first, which their values tell apart, then the ids."""
STATUSES = {"sale": ("selesai", "complete", "paid", "diterima", "dikirim", "terkirim", "processing", "success"),
            "cancelled": ("batal", "cancel", "void", "gagal", "failed"),
            "refund": ("refund", "kembali", "retur", "return")}  # fmt: skip
"""Words of a status value that say what the order became."""


@dataclass
class Suggestion:
    """The suggested `ingest:` settings and, per file, what they rest on (lines for the comments)."""

    settings: dict = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)

    def block(self) -> str:
        """The settings as a YAML block to paste under the parameters, the evidence as comments above it."""
        comments = "".join(f"# {line}\n" for line in self.evidence)
        body = yaml.safe_dump({"ingest": self.settings}, allow_unicode=True, sort_keys=False, width=110)
        return comments + body


def suggest(directory: str | Path) -> Suggestion:
    """A suggestion for the files of `directory` that are not named after a contract table."""
    folder = Path(directory)
    if not folder.is_dir():
        raise SourceError(t("error.source.no_folder", folder=str(folder)))
    files = [p for p in sorted(folder.iterdir()) if _candidate(p)]
    out = Suggestion()
    for path in files:
        rows = preview(path, SAMPLE_ROWS)
        if not rows or set(TABLES["transactions"].required) <= {normalize_header(c) for c in rows[0]}:
            continue  # nothing to map: the file holds the contract's columns
        preset, share = _best_preset(rows)
        if share >= FITS:
            out.settings["preset"] = preset
            if not _matches(path, preset):
                out.settings["files"] = {"transactions": path.name}
            out.evidence.append(t("map.preset", file=path.name, preset=preset, share=f"{share:.0%}"))
            continue
        guessed, statuses, evidence = _guess(rows)
        found = set(guessed.values())
        if {"transaction_id", "ts"} <= found and ("amount" in found or {"quantity", "unit_price"} <= found):
            out.settings.setdefault("files", {})["transactions"] = path.name
            out.settings.setdefault("columns", {})["transactions"] = guessed
            if statuses:
                out.settings.setdefault("values", {})["transactions"] = {"kind": statuses}
            out.evidence += [t("map.file", file=path.name), *evidence]
        else:
            out.evidence.append(t("map.unknown", file=path.name))
    if not out.settings:
        out.evidence.append(t("map.nothing", folder=str(folder)))
    return out


def _candidate(path: Path) -> bool:
    """A file that may hold transactions: a readable kind, named after no other table."""
    table, kind = table_and_kind(path)
    named = table == "transactions" or table not in TABLES
    return path.is_file() and not path.name.startswith(".") and kind in SUFFIXES and named


def _best_preset(rows: list[list[str]]) -> tuple[str, float]:
    """The preset whose transactions columns the rows' header holds most of, and that share."""
    best, share = "", 0.0
    for name, settings in PRESETS.items():
        wanted = {normalize_header(c) for c in settings["columns"]["transactions"]}
        header = rows[find_header(rows, "transactions", IngestOptions(preset=name)).index]
        found = len(wanted & {normalize_header(c) for c in header}) / len(wanted)
        if found > share:
            best, share = name, found
    return best, share


def _matches(path: Path, preset: str) -> bool:
    """Whether the preset finds the file by its own pattern (or, without one, by the table's name)."""
    pattern = PRESETS[preset].get("files", {}).get("transactions")
    if pattern is None:
        return table_and_kind(path)[0] == "transactions"
    return fnmatch(path.name.lower(), pattern.lower())


def _guess(rows: list[list[str]]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Each contract column of the transactions matched to a column of the rows (the header found by its look),
    by its name and its values; a status column's values read as sale, refund or cancelled; the evidence, one line
    per column."""
    at = _header_index(rows)
    header, body = rows[at], rows[at + 1 :]
    values = pd.DataFrame([r + [""] * (len(header) - len(r)) for r in body], columns=range(len(header)))
    taken: set[int] = set()
    mapping, evidence = {}, []
    for column, words in NAMES.items():
        kind = TABLES["transactions"].col(column).kind
        candidates = [i for i, name in enumerate(header) if i not in taken and _says(normalize_header(name), words)]
        scored = [(_reads(values[i], kind), i) for i in candidates]
        scored = [(share, i) for share, i in scored if share >= 0.9]
        if not scored:
            continue
        share, i = max(scored)
        taken.add(i)
        mapping[str(header[i])] = column
        read_as = t(f"map.kind.{kind}")
        evidence.append(t("map.column", header=str(header[i]), column=column, share=f"{share:.0%}", kind=read_as))
    status = next((i for i, name in enumerate(header) if mapping.get(str(name)) == "kind"), None)
    statuses = _statuses(values[status]) if status is not None else {}
    if status is not None and not statuses:
        mapping.pop(str(header[status]))  # values that say nothing known: better left out than quarantined
    return mapping, statuses, evidence


def _statuses(values: pd.Series) -> dict[str, str]:
    """A status column's values as what the order became, by their words (values no word tells are left out)."""
    out = {}
    for value in values.astype(str).str.strip().unique()[:50]:
        word = value.casefold()
        kind = next((k for k, words in STATUSES.items() if any(w in word for w in words)), None)
        if kind and value:
            out[value] = kind
    return out


def _header_index(rows: list[list[str]]) -> int:
    """The first row that looks like a header: text only (no number), nearly as wide as the widest row."""
    widest = max(len([c for c in row if c.strip()]) for row in rows)
    for i, row in enumerate(rows):
        cells = [c.strip() for c in row if c.strip()]
        if len(cells) >= max(2, 0.6 * widest) and not any(re.fullmatch(r"[-+]?(Rp\.?\s*)?[\d.,]+", c) for c in cells):
            return i
    return 0


def _says(name: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(^|_){re.escape(w)}", name) for w in words)


def _reads(values: pd.Series, kind: str) -> float:
    """The share of the non-blank values that read as `kind`."""
    text = values.astype(str).str.strip()
    text = text[text.ne("")]
    if text.empty:
        return 0.0
    options = IngestOptions()
    if kind == "float":  # amounts by their own grouping, as a load reads them
        options = options.reading(money_reading(text)[0])
    return float(PARSERS[kind](text, options).notna().mean())
