"""Reporting: parameters, the notebook context, the period runner, HTML export and the index pages.

The names below import on first use, so importing one does not pull in papermill or seaborn.

>>> from crmlib.report import load_params
>>> load_params.__module__
'crmlib.report.params'
"""

import importlib

_EXPORTS = {
    "params": ["Params", "SampleParams", "load_params", "find_project_dir"],
    "context": ["PeriodContext", "open_period"],
    "plots": ["set_theme"],
    "runner": ["run_period", "backfill", "stage_notebooks"],
    "html": ["export_html"],
    "index": ["write_period_index", "write_reports_index"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
