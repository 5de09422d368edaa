"""Charts for the reports: seaborn, titles and axes in the report language, thousands grouped as the language does.

Each function draws one chart on a new figure and returns its Axes, so a notebook cell shows it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator


def bar(frame: pd.DataFrame, x: str, y: str, ctx, title: str, *, hue: str | None = None,
        horizontal: bool = False, translate: dict[str, str] | None = None):
    """Bars of `y` per `x`; `translate` maps a column to the label-key prefix its values take (e.g. "kind.")."""
    data = translated(frame, ctx, translate or {})
    fig, ax = plt.subplots()
    sns.barplot(data=data, x=y if horizontal else x, y=x if horizontal else y, hue=hue, ax=ax,
                orient="h" if horizontal else "v")
    _finish(ax, ctx, title, value_axis="x" if horizontal else "y")
    ax.set_xlabel(ctx.t(y) if horizontal else "")
    ax.set_ylabel("" if horizontal else ctx.t(y))
    if hue:
        ax.legend(title="")
    return ax


def lines(frame: pd.DataFrame, x: str, ys: list[str], ctx, title: str):
    """One line per column in `ys` over `x` (typically months), with a legend in the report language."""
    long = frame.melt(id_vars=x, value_vars=ys, var_name="series", value_name="value")
    long["series"] = long["series"].map(ctx.t)
    fig, ax = plt.subplots()
    sns.lineplot(data=long, x=x, y="value", hue="series", marker="o", ax=ax)
    _finish(ax, ctx, title, value_axis="y")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(title="")
    return ax


def heatmap(matrix: pd.DataFrame, ctx, title: str, *, percent: bool = False, cmap: str = "Blues"):
    """A labelled heat map of a matrix; cells annotated as numbers or percentages."""
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * matrix.shape[1] + 3), max(3, 0.45 * matrix.shape[0] + 1.5)))
    annot = matrix.map(lambda v: ctx.percent(v, 0) if percent else ctx.number(v))
    sns.heatmap(matrix, annot=annot, fmt="", cmap=cmap, cbar=False, linewidths=0.5, ax=ax,
                vmin=0, vmax=1 if percent else None)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.grid(False)
    ax.tick_params(axis="x", labelrotation=30)
    plt.tight_layout()
    return ax


def translated(frame: pd.DataFrame, ctx, prefixes: dict[str, str]) -> pd.DataFrame:
    """`frame` with the values of each column in `prefixes` replaced by the label `prefix + value`."""
    return frame.assign(**{col: frame[col].map(lambda v, p=prefix: ctx.t(f"{p}{v}")) for col, prefix in prefixes.items()})


def _finish(ax, ctx, title: str, value_axis: str) -> None:
    ax.set_title(title)
    axis = ax.xaxis if value_axis == "x" else ax.yaxis
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _: ctx.number(v)))
    plt.tight_layout()
