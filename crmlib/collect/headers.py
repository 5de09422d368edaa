"""Column names as people write them, made comparable: `" Customer ID"` and `customer_id` are the same column.

>>> normalize_header(" Customer ID"), normalize_header("InvoiceNo"), normalize_header("Unit-Price")
('customer_id', 'invoiceno', 'unit_price')
"""

from __future__ import annotations

import re


def normalize_header(name: object) -> str:
    """Trimmed, lower case, words joined by underscores (a byte-order mark dropped)."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-./]+", "_", text)
