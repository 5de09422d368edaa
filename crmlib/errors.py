"""Errors a user can cause. Each message says what is wrong, where, and how to fix it."""

from typing import Any


class CrmError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class SourceError(CrmError):
    """A source file or database cannot be used at all (unreadable, missing a required column)."""


class ParamsError(CrmError):
    """The parameters files hold an unknown key, a wrong type or a bad value."""


class WarehouseError(CrmError):
    """The warehouse is missing, busy or lacks a table a stage needs."""


class EngineError(CrmError):
    """The engine named by `engine:` cannot run: Spark or Java missing, the master unreachable, a table not found."""


class ModelError(CrmError):
    """A model (lifetime value, drivers …) cannot be fitted on, or applied to, the data given."""


class RunError(CrmError):
    """A stage notebook failed while running a period."""


class MissingData(CrmError):
    """A figure needs data that are not loaded (or not long enough): `needs` names them ("transactions.category",
    "events"), the message says what to load. A page shows it as one line; a stage stores what it can without it."""

    def __init__(self, message: str, needs: tuple[str, ...] = ()):
        super().__init__(message)
        self.needs = needs


NOT_POSSIBLE = (MissingData, ModelError)
"""What the data may not allow: a page shows the reason as one line instead of the figure, and goes on."""


def attempt(function, *args, **kwargs):
    """Run `function(*args, **kwargs)`; when the data do not allow it (too few for its model, or not loaded:
    `NOT_POSSIBLE`), return (None, why) instead of failing, so a report can say so and go on. Otherwise return
    (result, "").

    >>> attempt(int, "7")
    (7, '')
    """
    try:
        return function(*args, **kwargs), ""
    except NOT_POSSIBLE as err:
        return None, str(err)


def outcome(function, *args, **kwargs):
    """`function(*args, **kwargs)`, or the error saying why the data do not allow it (`NOT_POSSIBLE`), to keep
    in a stage's `Part`.

    >>> outcome(int, "7"), type(outcome(lambda: (_ for _ in ()).throw(ModelError("too few")))).__name__
    (7, 'ModelError')
    """
    try:
        return function(*args, **kwargs)
    except NOT_POSSIBLE as err:
        return err


class Part:
    """A stage result the data may not allow, as a dataclass field: it holds the result or the error saying why not
    (from `outcome`), and reading it raises that error, so a page section shows the reason in one line.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Stage:
    ...     churn: int = part()
    >>> Stage(3).churn
    3
    >>> Stage(MissingData("load events")).churn
    Traceback (most recent call last):
    crmlib.errors.MissingData: load events
    >>> available(Stage(MissingData("load events")), "churn")
    False
    """

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            raise AttributeError(self.name)  # no default: a dataclass field that must be given
        value = obj.__dict__[self.name]
        if isinstance(value, NOT_POSSIBLE):
            raise value.with_traceback(None)
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value


def part() -> Any:
    """A `Part` as a dataclass field's default (typed as the field's own type for the type checker)."""
    return Part()


def failed(value) -> bool:
    """Whether an `outcome` is the reason there is no result (rather than the result)."""
    return isinstance(value, NOT_POSSIBLE)


def available(stage, name: str) -> bool:
    """Whether the `Part` `name` of `stage` holds a result (not the reason why there is none)."""
    return not failed(stage.__dict__[name])
