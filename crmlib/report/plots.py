"""Charts for the reports: seaborn, titles and axes in the report language, values formatted as the language does.

Each function draws one chart on a new figure and returns its Axes. `fmt` says how values read: "number",
"decimal" (one decimal), "percent" (fractions) or "money" (the business currency). `translate` maps a column to
how its values are shown: a label-key prefix such as "kind." (the value becomes the label "kind.<value>"), or a
function such as `ctx.segment`.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator

from crmlib.report.tables import shown_as


def set_theme() -> None:
    """A clean, consistent look for every chart of the reports."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update(
        {
            "figure.figsize": (9, 4.5),
            "figure.dpi": 110,
            "axes.titleweight": "bold",
            "axes.titlesize": 13,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
        }
    )


set_theme()  # a notebook that draws imports this module: its charts get the report's look


Translate = dict[str, "str | Callable[[object], str]"]


def bar(
    frame: pd.DataFrame,
    x: str,
    y: str,
    ctx,
    title: str,
    *,
    hue: str | None = None,
    horizontal: bool = False,
    translate: Translate | None = None,
    fmt: str = "number",
):
    """Bars of `y` per `x` (and per `hue`)."""
    data = translated(frame, ctx, translate or {})
    fig, ax = plt.subplots()
    sns.barplot(
        data=data, x=y if horizontal else x, y=x if horizontal else y, hue=hue, ax=ax, orient="h" if horizontal else "v"
    )
    _value_axis(ax, ctx, "x" if horizontal else "y", fmt)
    ax.set_title(title)
    ax.set_xlabel(ctx.t(y) if horizontal and not y.startswith("_") else "")
    ax.set_ylabel(ctx.t(y) if not horizontal and not y.startswith("_") else "")
    if hue:
        ax.legend(title="")
    plt.tight_layout()
    return ax


def grouped_bar(
    frame: pd.DataFrame,
    x: str,
    ys: list[str],
    ctx,
    title: str,
    *,
    translate: Translate | None = None,
    fmt: str = "percent",
    horizontal: bool = True,
):
    """Side-by-side bars of several columns `ys` (named by their labels) per `x`."""
    long = translated(frame, ctx, translate or {}).melt(
        id_vars=x, value_vars=ys, var_name="_series", value_name="_value"
    )
    long["_series"] = long["_series"].map(ctx.t)
    return bar(long, x, "_value", ctx, title, hue="_series", horizontal=horizontal, fmt=fmt)


def lines(frame: pd.DataFrame, x: str, ys: list[str], ctx, title: str, *, fmt: str = "number"):
    """One line per column in `ys` over `x` (typically months), with a legend in the report language."""
    long = frame.melt(id_vars=x, value_vars=ys, var_name="_series", value_name="_value")
    long["_series"] = long["_series"].map(ctx.t)
    return curves(long, x, "_value", "_series", ctx, title, fmt=fmt)


def curves(
    frame: pd.DataFrame,
    x: str,
    y: str,
    hue: str,
    ctx,
    title: str,
    *,
    fmt: str = "number",
    translate: Translate | None = None,
    markers: bool = True,
):
    """One line per value of `hue` (long data), e.g. retention curves per cohort or actual vs predicted."""
    data = translated(frame, ctx, translate or {})
    fig, ax = plt.subplots()
    sns.lineplot(data=data, x=x, y=y, hue=hue, marker="o" if markers else None, ax=ax)
    _value_axis(ax, ctx, "y", fmt)
    ax.set_title(title)
    ax.set_xlabel("" if x not in _LABELLED else ctx.t(x))
    ax.set_ylabel("")
    ax.legend(title="")
    plt.tight_layout()
    return ax


def heatmap(
    matrix: pd.DataFrame,
    ctx,
    title: str,
    *,
    fmt: str = "number",
    cmap: str = "Blues",
    center: float | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """A labelled heat map of a matrix, each cell annotated in `fmt` (empty cells left blank)."""
    matrix = matrix.dropna(axis=1, how="all")
    if isinstance(matrix.index, pd.DatetimeIndex):
        months = pd.Series(matrix.index.strftime("%Y-%m"), index=matrix.index).fillna(ctx.t("unknown_month"))
        matrix = matrix.set_axis(months.to_numpy(), axis=0)
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * matrix.shape[1] + 3), max(3, 0.45 * matrix.shape[0] + 1.5)))
    show = _formatter(ctx, fmt)
    annot = matrix.map(lambda v: "" if pd.isna(v) else show(v))
    if fmt == "percent" and vmin is None and vmax is None:
        vmin, vmax = 0, 1
    sns.heatmap(
        matrix.astype(float),
        annot=annot,
        fmt="",
        cmap=cmap,
        cbar=False,
        linewidths=0.5,
        ax=ax,
        center=center,
        vmin=vmin,
        vmax=vmax,
    )
    ax.set_title(title)
    ax.set_xlabel(ctx.t(matrix.columns.name) if matrix.columns.name in _LABELLED else "")
    ax.set_ylabel(ctx.t(matrix.index.name) if matrix.index.name in _LABELLED else "")
    ax.grid(False)
    ax.tick_params(axis="x", labelrotation=30)
    plt.tight_layout()
    return ax


def histogram(values: pd.Series, ctx, title: str, *, fmt: str = "money", bins: int = 40, log_scale: bool = False):
    """The distribution of `values` (e.g. lifetime value per customer); on a log scale, values below 1 are left out."""
    values = values.dropna()
    if log_scale:
        values = values[values >= 1]
    fig, ax = plt.subplots()
    sns.histplot(values, bins=bins, log_scale=log_scale, ax=ax)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _axis_formatter(ctx, fmt)(v)))
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ctx.t("customers"))
    plt.tight_layout()
    return ax


_UNIT_FORMATS = {"money": "money", "share": "percent", "count": "number"}


def trends(values: pd.DataFrame, kpis: list[str], ctx, title: str, *, columns: int = 3):
    """Small multiples: one line per KPI of `kpis` over the periods of `values` (kpi, period, value, unit), each
    with its own axis in its unit, titled by the KPI's name."""
    rows = -(-len(kpis) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(9, 2.4 * rows), squeeze=False)
    for ax, key in zip(axes.flat, kpis, strict=False):
        series = values[values["kpi"] == key].sort_values("period")
        ax.plot(series["period"], series["value"], marker="o", markersize=3)
        if series["value"].isna().all():  # no value yet (its data not loaded, or the history too short)
            ax.text(0.5, 0.5, ctx.t("mon.trend_empty"), ha="center", va="center", transform=ax.transAxes, fontsize=9)
        unit = series["unit"].iloc[0] if len(series) else "count"
        _value_axis(ax, ctx, "y", _UNIT_FORMATS.get(unit, "decimal"))
        ax.set_title(ctx.t(f"kpi.{key}"), fontsize=10)
        ticks = list(series["period"])[:: max(len(series) // 3, 1)]
        ax.set_xticks(ticks, ticks, fontsize=8)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontweight="bold")
    plt.tight_layout()
    return axes


def translated(frame: pd.DataFrame, ctx, translate: Translate) -> pd.DataFrame:
    """`frame` with the values of each column in `translate` shown as labels (a prefix) or by a function."""
    return frame.assign(**{col: frame[col].map(shown_as(ctx, how)) for col, how in translate.items()})


_LABELLED = {"months_since_first_purchase", "cohort", "r", "fm", "f", "weeks", "days", "targeted"}


def _formatter(ctx, fmt: str) -> Callable[[float], str]:
    return {
        "number": lambda v: ctx.number(v),
        "decimal": lambda v: ctx.number(v, 1),
        "percent": lambda v: ctx.percent(v, 0),
        "share": lambda v: ctx.percent(v, 1),
        "money": ctx.money,
    }[fmt]


def _axis_formatter(ctx, fmt: str) -> Callable[[float], str]:
    """Like `_formatter`, but money is compact on an axis (Rp1,5 M)."""
    return ctx.money_short if fmt == "money" else _formatter(ctx, fmt)


def _value_axis(ax, ctx, axis_name: str, fmt: str) -> None:
    axis = ax.xaxis if axis_name == "x" else ax.yaxis
    if fmt in ("number", "money"):
        axis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _: _axis_formatter(ctx, fmt)(v)))
