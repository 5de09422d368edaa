"""Tables for management: headers in the report language, numbers, money and dates formatted, no index.

>>> from types import SimpleNamespace
>>> ctx = SimpleNamespace(language="en", t=lambda k: k.title(), number=lambda x, d=0: f"{x:,.{d}f}",
...                       money=str, percent=lambda x, d=1: f"{x:.0%}")
>>> show(pd.DataFrame({"rows": [1234]}), ctx, {"rows": "rows"}, numbers=["rows"]).data.iloc[0, 0]
'1,234'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd


def show(
    frame: pd.DataFrame,
    ctx,
    columns: dict[str, str],
    *,
    numbers=(),
    decimals=(),
    money=(),
    percents=(),
    dates=(),
    months=(),
    flags=(),
    translate: dict | None = None,
) -> pd.io.formats.style.Styler:
    """`frame`'s `columns` (name -> label key) formatted for the report; a column with no value at all is left out
    (a rate from a funnel stage the data do not observe, say).

    `translate` maps a column to how its values are shown: a label-key prefix (e.g. {"data_kind": "kind."})
    or a function (e.g. {"segment": ctx.segment}).
    """
    if len(frame):
        columns = {c: key for c, key in columns.items() if frame[c].notna().any()}
    out = frame[list(columns)].copy()
    kept = lambda cols: [c for c in cols if c in columns]
    for col, how in (translate or {}).items():
        if col in columns:
            out[col] = out[col].map(shown_as(ctx, how))
    for col in kept(decimals):
        out[col] = out[col].map(lambda v: "" if pd.isna(v) else ctx.number(v, 2))
    for cols, fmt in ((numbers, ctx.number), (money, ctx.money), (percents, ctx.percent)):
        for col in kept(cols):
            out[col] = out[col].map(lambda v, f=fmt: "" if pd.isna(v) else f(v))
    for col in kept(flags):
        out[col] = out[col].map(lambda v: "" if pd.isna(v) else "✓" if v else "✗")
    for col in kept(dates):
        out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d").fillna("")
    for col in kept(months):
        out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m").fillna("")
    out = out.astype(object).where(out.notna(), "")
    text = [
        ctx.t(columns[c])
        for c in columns
        if c in (translate or {}) or frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]
    out = out.rename(columns={c: ctx.t(k) for c, k in columns.items()})
    return styled(out).set_properties(subset=text, **{"text-align": "left"})


def styled(frame: pd.DataFrame) -> pd.io.formats.style.Styler:
    """`frame` as a management table: no index, every cell and header escaped, so a value holding markup (a
    customer id `<b>`, say) shows as text and never becomes a tag; its HTML ids follow from its content, so a
    rerun on the same data writes the same bytes.

    >>> "&lt;b&gt;" in styled(pd.DataFrame({"customer": ["<b>x</b>"]})).to_html()
    True
    """
    uuid = hashlib.sha256(frame.to_csv().encode("utf-8")).hexdigest()[:8]  # the same table, the same ids
    return frame.style.set_uuid(uuid).hide(axis="index").format(escape="html").format_index(escape="html", axis=1)


def shown_as(ctx, how: str | Callable[[object], object]) -> Callable[[object], object]:
    """How a value is shown: by a function, or as the label `<prefix><value>` (`ctx.label_of`: the value itself
    when the catalogue has no such label, as for a campaign type of the business's own); non-text as it is."""
    if callable(how):
        return how
    return lambda value: ctx.label_of(how, value) if isinstance(value, str) else value


def figures(values: pd.Series, ctx, prefix: str, *, percents=(), decimals=(), money=()) -> pd.io.formats.style.Styler:
    """Key figures as a two-column table: the label `<prefix><name>` and the value, each formatted by its kind."""

    def shown(name, value):
        if name in percents:
            return ctx.percent(value)
        if name in money:
            return ctx.money(value)
        return ctx.number(value, 2 if name in decimals else 0)

    table = pd.DataFrame(
        {"indicator": [ctx.t(f"{prefix}{n}") for n in values.index], "value": [shown(n, v) for n, v in values.items()]}
    )
    return show(table, ctx, {"indicator": "indicator", "value": "figure"})
