"""How sources map onto the contract: column names, number and date formats, the database to read.

These are the `ingest:` section of the parameters files.

>>> IngestOptions(decimal=",", thousands=".").decimal
','
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crmlib.catalogue import t
from crmlib.collect.contract import TABLES
from crmlib.collect.expressions import check_expression
from crmlib.collect.presets import with_preset


class IngestOptions(BaseModel):
    """Options for `crm ingest`; every key is optional."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["tokopedia", "shopee", "shopify", "woocommerce", "uci"] | None = None
    """A shop or marketplace report layout whose settings fill in the others (see `crmlib.collect.presets`); what
    the parameters set themselves wins."""

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        return with_preset(data) if isinstance(data, dict) else data

    files: dict[str, str | list[str]] = {}
    """Per table, the file name pattern(s) of its sources in the folder (globs), for files not named after it, e.g.
    {transactions: "laporan-penjualan*.xlsx"}; several files of one table (one a month) are read as one source."""
    columns: dict[str, dict[str, str]] = {}
    """Per table, source column name -> contract column name, e.g. {transactions: {order_no: transaction_id}}."""
    values: dict[str, dict[str, dict[str, str]]] = {}
    """Per table and contract column, source values -> contract values (matched ignoring case and spaces), e.g.
    {transactions: {kind: {Pesanan Selesai: sale, Dibatalkan: cancelled}}}: a status column mapped to `kind`."""
    order_fields: list[str] = []
    """transactions columns an export gives on an order's first line only (or on some): its other lines take the
    order's value, e.g. [ts, customer_id, channel] for Shopify."""
    order_charges: dict[str, str] = {}
    """Source columns holding an order's charge (shipping, fees), repeated on its lines or given once, -> the product
    code of the one non-product line each order gets for it, e.g. {total_biaya_pengiriman_idr: SHIPPING}."""
    refunded_amount: str | None = None
    """A source column holding what was refunded of an order (Shopify's Refunded Amount): the order gets one refund
    line of that amount."""
    header_row: int | dict[str, int] | None = None
    """The row holding the column names (1 = the first), for every table or per table ({transactions: 5}); None:
    found in the first rows as the one naming most of the table's columns (title rows above it are skipped)."""
    currency: str | None = None
    """The currency of the amounts (None: the parameters' `currency`): in one without minor units in practice, such
    as IDR, an amount written 150.000 is read as 150,000 (see `parsing.money_reading`)."""
    decimal: str = "."
    """The decimal mark in number columns: "." (1234.56) or "," (1234,56)."""
    thousands: str | None = None
    """The thousands separator, if numbers carry one: "," (1,234.56), "." (1.234,56), " " or "'"."""
    date_format: str | None = None
    """A strftime format such as "%d/%m/%Y %H:%M" when times are not ISO 8601 (2025-06-30 14:05)."""
    dayfirst: bool = False
    """Read ambiguous dates such as 01/02/2025 as 1 February (true) or 2 January (false)."""
    timezone: str = "Asia/Jakarta"
    """Times that carry a zone (…+07:00, …Z) are converted to this zone's local time."""
    database_url_env: str = "CRM_DATABASE_URL"
    """The environment variable holding the SQLAlchemy URL of a source database (never put the URL in a file)."""
    database_tables: dict[str, str] = {}
    """Per contract table, the database table to read when its name differs, e.g. {transactions: sales.orders}."""
    computed: dict[str, dict[str, str]] = {}
    """Per table, a contract column computed from the source's columns, e.g. {transactions: {amount:
    "quantity * unit_price - coalesce(discount, 0)"}}: arithmetic on the row's own columns only."""
    guests: Literal["load", "quarantine"] = "load"
    """A sale without a customer_id: "load" it as a guest sale (revenue, not a customer) or "quarantine" it."""
    unknown_customers: Literal["load", "quarantine"] = "load"
    """A row naming a customer the customers source lacks (a profile file covering part of the buyers): "load" it,
    the customer derived without a profile (as with no customers source at all), or "quarantine" it."""
    max_unprofiled_share: float = Field(0.5, ge=0, le=1)
    """A load whose customers without a profile row bought more than this share of the revenue warns."""
    cancellation_prefix: str | None = None
    """A transaction_id starting with this (e.g. "C") is a cancelled order: a refund of that customer."""
    non_product_codes: list[str] = ["POST", "POSTAGE", "SHIPPING", "ONGKIR", "FEE"]
    """product_id codes of lines that are revenue but not products: postage, fees, bank charges, adjustments."""
    max_quarantine_share: float = Field(0.05, ge=0, le=1)
    """A load that quarantines more than this share of a table's rows or money warns on the console and pages."""
    max_shrink: float = Field(0.2, ge=0, le=1)
    """A source that would shrink its table by more than this share stops the load (unless --replace)."""
    memory_limit: str = Field("512MB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    """How much memory the warehouse may use while loading (DuckDB's limit); beyond it, it works on disk."""
    spill_dir: str | None = None
    """Where a big source is spilled in parts while it is checked; default the system's temporary folder."""
    max_line_bytes: int = Field(16 * 2**20, ge=1024)
    """A line of a text source longer than this stops the load with one line (a damaged file, or a value holding
    a whole file, would otherwise fill the memory)."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(t("error.options.timezone", value=repr(value))) from None
        return value

    @field_validator("date_format")
    @classmethod
    def _usable_date_format(cls, value: str | None) -> str | None:
        """A format pandas can read with: its directives known, and a date in it readable back."""
        if value is None:
            return value
        try:
            sample = datetime(2025, 6, 30, 14, 5, 9)
            ok = pd.to_datetime(pd.Series([sample.strftime(value)]), format=value, errors="coerce").notna()[0]
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise ValueError(t("error.options.date_format", value=repr(value)))
        return value

    @field_validator("files", "columns", "database_tables", "computed", "values")
    @classmethod
    def _known_tables(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(TABLES))
        if unknown:
            raise ValueError(t("error.options.table", table=repr(unknown[0]), tables=", ".join(TABLES)))
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            for source, target in mapping.items():
                if target not in TABLES[table].names:
                    raise ValueError(
                        t(
                            "error.options.maps_to",
                            table=table,
                            source=repr(source),
                            target=repr(target),
                            columns=", ".join(TABLES[table].names),
                        )
                    )
        return value

    @field_validator("computed")
    @classmethod
    def _valid_expressions(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, columns in value.items():
            for column, expression in columns.items():
                if column not in TABLES[table].names:
                    raise ValueError(
                        t(
                            "error.options.column",
                            table=table,
                            column=repr(column),
                            columns=", ".join(TABLES[table].names),
                        )
                    )
                kind = TABLES[table].col(column).kind
                if kind not in ("float", "int"):
                    raise ValueError(t("error.options.computed_kind", table=table, column=column))
                check_expression(expression, f"{table}.{column}")
        return value

    @field_validator("values")
    @classmethod
    def _known_value_columns(cls, value: dict[str, dict[str, dict[str, str]]]) -> dict:
        for table, columns in value.items():
            for column in columns:
                if column not in TABLES[table].names:
                    raise ValueError(t("error.options.column", table=table, column=repr(column),
                                       columns=", ".join(TABLES[table].names)))  # fmt: skip
        return value

    @field_validator("order_fields")
    @classmethod
    def _order_fields(cls, value: list[str]) -> list[str]:
        names = TABLES["transactions"].names
        unknown = [f for f in value if f not in names or f == "transaction_id"]
        if unknown:
            raise ValueError(t("error.options.order_field", field=repr(unknown[0]), columns=", ".join(names[1:])))
        return value

    @field_validator("header_row")
    @classmethod
    def _header_row(cls, value):
        rows = value.values() if isinstance(value, dict) else [] if value is None else [value]
        if any(row < 1 for row in rows):
            raise ValueError(t("error.options.header_row"))
        if isinstance(value, dict):
            cls._known_tables(value)
        return value

    @property
    def declares_numbers(self) -> bool:
        """Whether the parameters say how numbers are written (then amounts are read as declared, not guessed)."""
        return bool({"decimal", "thousands"} & self.model_fields_set)

    def reading(self, how: str | None) -> IngestOptions:
        """These options with the number format of a money column's reading ("dots": 1.234,5; "commas": 1,234.5)."""
        marks = {"dots": {"decimal": ",", "thousands": "."}, "commas": {"decimal": ".", "thousands": ","}}
        return self.model_copy(update=marks[how]) if how in marks else self

    def header_of(self, table: str) -> int | None:
        """The header row set for `table` (1 = the first), or None to find it."""
        return self.header_row.get(table) if isinstance(self.header_row, dict) else self.header_row

    @field_validator("non_product_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        return [code.strip() for code in value if code.strip()]

    @model_validator(mode="after")
    def _number_format(self) -> IngestOptions:
        if self.decimal not in (".", ","):
            raise ValueError(t("error.options.decimal", value=repr(self.decimal)))
        if self.thousands not in (None, ".", ",", " ", "'"):
            raise ValueError(t("error.options.thousands", value=repr(self.thousands)))
        if self.thousands == self.decimal:
            raise ValueError(t("error.options.same_separator", value=repr(self.decimal)))
        return self
