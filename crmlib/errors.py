"""Errors a user can cause. Each message says what is wrong, where, and how to fix it."""


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


def attempt(function, *args, **kwargs):
    """Run `function(*args, **kwargs)`; when the data are too few for its model (ModelError), return (None, why)
    instead of failing, so a report can say so and go on. Otherwise return (result, "").

    >>> attempt(int, "7")
    (7, '')
    """
    try:
        return function(*args, **kwargs), ""
    except ModelError as err:
        return None, str(err)
