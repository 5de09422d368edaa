"""Tables for management: headers in the report language, numbers, money and dates formatted, no index.

>>> from types import SimpleNamespace
>>> ctx = SimpleNamespace(language="en", t=lambda k: k.title(), number=lambda x, d=0: f"{x:,.{d}f}",
...                       money=str, percent=lambda x, d=1: f"{x:.0%}")
>>> show(pd.DataFrame({"rows": [1234]}), ctx, {"rows": "rows"}, numbers=["rows"]).data.iloc[0, 0]
'1,234'
"""

from __future__ import annotations

import pandas as pd


def show(frame: pd.DataFrame, ctx, columns: dict[str, str], *, numbers=(), money=(), percents=(), dates=(),
         months=(), flags=(), translate: dict[str, str] | None = None) -> "pd.io.formats.style.Styler":
    """`frame`'s `columns` (name -> label key) formatted for the report.

    `translate` maps a column to the label-key prefix its values take, e.g. {"data_kind": "kind."}.
    """
    out = frame[list(columns)].copy()
    for col, prefix in (translate or {}).items():
        out[col] = out[col].map(lambda v, p=prefix: ctx.t(f"{p}{v}") if isinstance(v, str) else v)
    for cols, fmt in ((numbers, ctx.number), (money, ctx.money), (percents, ctx.percent)):
        for col in cols:
            out[col] = out[col].map(lambda v, f=fmt: "" if pd.isna(v) else f(v))
    for col in flags:
        out[col] = out[col].map(lambda v: "" if pd.isna(v) else "✓" if v else "✗")
    for col in dates:
        out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d").fillna("")
    for col in months:
        out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m").fillna("")
    out = out.astype(object).where(out.notna(), "")
    out = out.rename(columns={c: ctx.t(k) for c, k in columns.items()})
    return out.style.hide(axis="index")
