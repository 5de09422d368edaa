"""Errors a user can cause. Each message says what is wrong, where, and how to fix it."""


class CrmError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class SourceError(CrmError):
    """A source file or database cannot be used at all (unreadable, missing a required column)."""


class ParamsError(CrmError):
    """The parameters files hold an unknown key, a wrong type or a bad value."""


class WarehouseError(CrmError):
    """The warehouse is missing, busy or lacks a table a stage needs."""


class ModelError(CrmError):
    """A model (lifetime value, drivers …) cannot be fitted on, or applied to, the data given."""


class RunError(CrmError):
    """A stage notebook failed while running a period."""
