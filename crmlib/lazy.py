"""Package namespaces that import a name's module only when the name is first used, so `import crmlib.analyze`
(or a notebook importing one function) does not pull in scikit-learn, statsmodels and seaborn at once.

>>> attribute, names = lazy_namespace("json", {"decoder": ["JSONDecoder"]})
>>> names, attribute("JSONDecoder").__name__
(['JSONDecoder'], 'JSONDecoder')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_namespace(package: str, exports: dict[str, list[str]]) -> tuple[Callable[[str], Any], list[str]]:
    """A module `__getattr__` for `package` serving `exports` (submodule -> names), and its `__all__`."""
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module_of[name]}"), name)

    return __getattr__, sorted(module_of)
