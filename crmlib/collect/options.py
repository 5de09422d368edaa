"""How sources map onto the contract: column names, number and date formats, the database to read.

These are the `ingest:` section of the parameters files.

>>> IngestOptions(decimal=",", thousands=".").decimal
','
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from crmlib.collect.contract import TABLES


class IngestOptions(BaseModel):
    """Options for `crm ingest`; every key is optional."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, dict[str, str]] = {}
    """Per table, source column name -> contract column name, e.g. {transactions: {order_no: transaction_id}}."""
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

    @field_validator("columns", "database_tables")
    @classmethod
    def _known_tables(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table {unknown[0]!r}; tables are {', '.join(TABLES)}")
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            for source, target in mapping.items():
                if target not in TABLES[table].names:
                    raise ValueError(f"{table}: {source!r} maps to {target!r}, which is not a column of {table}; "
                                     f"columns are {', '.join(TABLES[table].names)}")
        return value

    @model_validator(mode="after")
    def _number_format(self) -> "IngestOptions":
        if self.decimal not in (".", ","):
            raise ValueError(f"decimal must be '.' or ',', not {self.decimal!r}")
        if self.thousands not in (None, ".", ",", " ", "'"):
            raise ValueError(f"thousands must be one of '.', ',', ' ', \"'\" or null, not {self.thousands!r}")
        if self.thousands == self.decimal:
            raise ValueError(f"decimal and thousands are both {self.decimal!r}; they must differ")
        return self
