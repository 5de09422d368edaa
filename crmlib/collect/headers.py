"""Column names as people write them, made comparable: `" Customer ID"` and `customer_id` are the same column.

>>> normalize_header(" Customer ID"), normalize_header("InvoiceNo"), normalize_header("Unit-Price")
('customer_id', 'invoiceno', 'unit_price')
>>> normalize_header("Total Biaya Pengiriman (IDR)"), normalize_header("Order #"), normalize_header("#")
('total_biaya_pengiriman_idr', 'order', '#')
"""

from __future__ import annotations

import re


def normalize_header(name: object) -> str:
    """Trimmed, lower case, words joined by underscores; brackets and other symbols dropped (so a computed
    expression can name the column), a byte-order mark too."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\W_]+", "_", text).strip("_") or text  # a header of symbols only ("#") keeps them
