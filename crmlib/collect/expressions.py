"""Computed columns: arithmetic on a source row's own columns, such as `quantity * unit_price - discount`.

An expression is parsed with Python's own parser and then held to a small grammar: numbers, column names (a header
as written may be quoted in backticks: `Total Biaya Pengiriman (IDR)`), + - * /,
parentheses and the functions abs, round, min, max and coalesce (the first value that is not missing). Nothing else
(no attributes, no other calls), so an expression can read only the row it is computed for.

>>> sorted(check_expression("quantity * unit_price - coalesce(discount, 0)", "transactions.amount"))
['discount', 'quantity', 'unit_price']
>>> values = {"quantity": pd.Series([2.0, 3.0]), "unit_price": pd.Series([1.5, 4.0]),
...           "discount": pd.Series([None, 2.0], dtype=float)}
>>> evaluate("quantity * unit_price - coalesce(discount, 0)", values).tolist()
[3.0, 10.0]
>>> check_expression("open('/etc/passwd')", "transactions.amount")
Traceback (most recent call last):
...
ValueError: transactions.amount: 'open' is not an allowed function; use abs, round, min, max or coalesce
"""

from __future__ import annotations

import ast
import itertools
import operator
import re
from collections.abc import Callable
from functools import reduce

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.headers import normalize_header

FUNCTIONS: dict[str, Callable[..., pd.Series]] = {
    "abs": lambda x: x.abs(),
    "round": lambda x, digits=0: x.round(int(digits)),
    "min": lambda *xs: reduce(np.minimum, xs),
    "max": lambda *xs: reduce(np.maximum, xs),
    "coalesce": lambda *xs: reduce(lambda a, b: a.where(a.notna(), b), xs),
}
ARITY = {"abs": (1, 1), "round": (1, 2), "min": (2, None), "max": (2, None), "coalesce": (2, None)}
"""How many arguments each function takes (at least, at most; None: any number); round's second is a whole
number written out (the decimals)."""
MAX_LENGTH = 1000  # characters of an expression
MAX_DEPTH = 40  # nested parentheses and calls
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


QUOTED = re.compile(r"`([^`]+)`")
"""A column named as its header is written, in backticks: `Total Biaya Pengiriman (IDR)`."""


def _parse(expression: str, where: str) -> ast.Expression:
    """The expression's syntax tree; a column quoted in backticks becomes a name (`_quoted`). An expression longer
    than MAX_LENGTH or nested deeper than MAX_DEPTH is refused before it is parsed (the parser would run out of
    stack or memory)."""
    depth = max(itertools.accumulate(1 if c == "(" else -1 if c == ")" else 0 for c in expression), default=0)
    if len(expression) > MAX_LENGTH or depth > MAX_DEPTH:
        raise ValueError(t("error.expression.too_long", where=where, length=len(expression), depth=depth,
                           max_length=MAX_LENGTH, max_depth=MAX_DEPTH))  # fmt: skip
    try:
        return ast.parse(_unquoted(expression).strip(), mode="eval")
    except (RecursionError, MemoryError):  # a long chain of operators: too deep for the parser all the same
        raise ValueError(t("error.expression.too_long", where=where, length=len(expression), depth=depth,
                           max_length=MAX_LENGTH, max_depth=MAX_DEPTH)) from None  # fmt: skip
    except SyntaxError as err:
        raise ValueError(
            t("error.expression.syntax", where=where, expression=repr(expression), reason=err.msg)
        ) from None


def _unquoted(expression: str) -> str:
    """Backtick-quoted headers as names the parser reads: `Harga (IDR)` -> _q_harga_idr (see `_name`).

    >>> _unquoted("`Harga Jual (IDR)` * `Jumlah`")
    '_q_harga_jual_idr * _q_jumlah'
    """
    return QUOTED.sub(lambda m: "_q_" + re.sub(r"\W", "_", normalize_header(m.group(1))), expression)


def _name(identifier: str) -> str:
    """A name of the expression as the normalised header it stands for."""
    return normalize_header(identifier[3:] if identifier.startswith("_q_") else identifier)


def check_expression(expression: str, where: str) -> set[str]:
    """The (normalised) column names `expression` reads; ValueError naming `where` if it is not allowed."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(t("error.expression.empty", where=where))
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Expression):
            visit(node.body)
        elif isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            visit(node.left)
            visit(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            visit(node.operand)
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        ):
            pass
        elif isinstance(node, ast.Name):
            names.add(_name(node.id))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id not in FUNCTIONS:
                raise ValueError(t("error.expression.function", where=where, name=repr(node.func.id)))
            least, most = ARITY[node.func.id]
            if len(node.args) < least or (most is not None and len(node.args) > most):
                raise ValueError(t("error.expression.arity", where=where, name=node.func.id, n=len(node.args),
                                   usage=t(f"expression.usage.{node.func.id}")))  # fmt: skip
            if node.func.id == "round" and len(node.args) == 2 and not _whole_number(node.args[1]):
                raise ValueError(t("error.expression.arity", where=where, name="round", n=2,
                                   usage=t("expression.usage.round")))  # fmt: skip
            for arg in node.args:
                visit(arg)
        else:
            shown = ast.get_source_segment(_unquoted(expression).strip(), node) or type(node).__name__
            raise ValueError(t("error.expression.not_allowed", where=where, part=repr(shown)))

    visit(_parse(expression, where))
    return names


def _whole_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


def evaluate(expression: str, columns: dict[str, pd.Series]) -> pd.Series:
    """The expression's value for every row, from number columns keyed by normalised name (missing stays missing)."""

    def value(node: ast.AST):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]  # a number: check_expression allows no other
        if isinstance(node, ast.Name):
            return columns[_name(node.id)]
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # the last kind the grammar allows
        if node.func.id == "round" and len(node.args) == 2:  # the decimals: a number written out, not a column
            return FUNCTIONS["round"](value(node.args[0]), node.args[1].value)  # type: ignore[attr-defined]
        args = [value(a) for a in node.args]
        first = next((a for a in args if isinstance(a, pd.Series)), None)
        args = [a if isinstance(a, pd.Series) or first is None else pd.Series(a, index=first.index) for a in args]
        return FUNCTIONS[node.func.id](*args)

    with np.errstate(all="ignore"):
        result = value(_parse(expression, "expression"))
    if not isinstance(result, pd.Series):  # a constant
        index = next(iter(columns.values())).index if columns else pd.RangeIndex(0)
        result = pd.Series(result, index=index)
    return result.astype("float64").replace([np.inf, -np.inf], np.nan)
