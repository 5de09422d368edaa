"""The parameters: `params/default.yaml`, overridden per period by `params/<period>.yaml`, validated with pydantic.

Every section is a model of its own with `extra="forbid"`; a later stage adds its section (say `targets`) as one
more field of `Params` with its own model and defaults. Errors are `ParamsError`s naming the file and the key:

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp()); (root / "params").mkdir()
>>> _ = (root / "params" / "default.yaml").write_text("language: en\\nsample: {customers: 500}\\n")
>>> _ = (root / "params" / "2025-06.yaml").write_text("sample: {months: 12}\\n")
>>> p = load_params(root, "2025-06")
>>> p.language, p.currency, p.sample.customers, p.sample.months
('en', 'IDR', 500, 12)
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from babel import Locale, UnknownLocaleError
from babel.numbers import is_currency
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from crmlib import catalogue
from crmlib.analyze.options import AnalysisOptions
from crmlib.catalogue import t
from crmlib.collect.options import IngestOptions
from crmlib.engines.options import SparkOptions
from crmlib.errors import ParamsError
from crmlib.monitor.options import MonitorOptions
from crmlib.periods import Period
from crmlib.segment.segments import SegmentRules, default_segment_rules
from crmlib.strategy.options import StrategyOptions

DEFAULT_FILE = Path("params") / "default.yaml"


class Section(BaseModel):
    """Base of every parameters section: unknown keys are errors, and values are not coerced (`"12"` is no integer)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SampleParams(Section):
    """The synthetic data `make report` generates when there is no data yet."""

    customers: PositiveInt = 2000
    months: PositiveInt = 24
    seed: int = 42


class Params(Section):
    """All parameters of a run; paths are relative to the project folder (see `path`)."""

    language: str = "id"
    """The report language: a catalogue in crmlib/locale (id, en, …)."""
    locale: str | None = None
    """The locale of formats (money, numbers, dates), e.g. id_ID or en_SG; default: the language's own."""
    currency: str = Field("IDR", pattern=r"^[A-Z]{3}$")
    seed: int = 42
    warehouse: str = "data/warehouse.duckdb"
    raw_dir: str = "data/raw"
    reports_dir: str = "reports"
    engine: Literal["duckdb", "spark"] = "duckdb"
    """Where the transaction-level SQL runs: the warehouse file (duckdb) or the Spark cluster of `spark`."""
    spark: SparkOptions = SparkOptions()
    sample: SampleParams = SampleParams()
    ingest: IngestOptions = IngestOptions()
    segments: SegmentRules = Field(default_factory=default_segment_rules)
    analysis: AnalysisOptions = AnalysisOptions()
    strategy: StrategyOptions = StrategyOptions()
    monitor: MonitorOptions = MonitorOptions()

    _project_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("language")
    @classmethod
    def _has_catalogue(cls, value: str) -> str:
        if value not in catalogue.LANGUAGES:
            raise ValueError(t("error.params.language", languages=", ".join(catalogue.LANGUAGES)))
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Locale.parse(value)
            except (ValueError, UnknownLocaleError):
                raise ValueError(t("error.params.locale", value=repr(value))) from None
        return value

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(t("error.params.currency_unknown", value=repr(value)))
        return value

    @model_validator(mode="after")
    def _ingest_currency(self) -> Params:
        """Amounts are read in the report's currency unless the ingest section names its own."""
        if self.ingest.currency is None:
            self.ingest = self.ingest.model_copy(update={"currency": self.currency})
        return self

    @model_validator(mode="after")
    def _playbook_segments(self) -> Params:
        known = [rule.key for rule in self.segments.rules]
        for rule in self.strategy.playbook:
            unknown = [s for s in rule.segments or [] if s not in known]
            if unknown:
                raise ValueError(
                    t("error.strategy.segment", campaign=rule.campaign, segment=unknown[0], known=", ".join(known))
                )
        return self

    def path(self, key: Literal["warehouse", "raw_dir", "reports_dir", "lists_dir"]) -> Path:
        """A path parameter resolved against the project folder (`lists_dir` is the strategy section's)."""
        value = self.strategy.lists_dir if key == "lists_dir" else getattr(self, key)
        return (self._project_dir / value).resolve()

    @property
    def project_dir(self) -> Path:
        return self._project_dir

    def lists_folder(self) -> Path:
        """`strategy.lists_dir` resolved (against the project folder, through `..` and symbolic links); a
        ParamsError when lists written there (one folder per period) would be published, would mix with the source
        files or the code, or would spread over a file system's root or the folders above the project.

        >>> params = Params()
        >>> params.lists_folder() == params.project_dir / "data" / "lists"
        True
        """
        lists, project = self.path("lists_dir"), self._project_dir.resolve()
        kept_apart = {
            "reports_dir": self.path("reports_dir"),
            "raw_dir": self.path("raw_dir"),
            "notebooks": (project / "notebooks").resolve(),
            "params": (project / "params").resolve(),
            "crmlib": Path(__file__).resolve().parents[1],
        }
        clash = next((name for name, folder in kept_apart.items() if _overlap(lists, folder)), None)
        if clash is not None:
            raise ParamsError(t("error.strategy.lists_dir", lists_dir=self.strategy.lists_dir, folder=clash,
                                path=str(kept_apart[clash])))  # fmt: skip
        if lists == project or lists in project.parents or os.path.ismount(lists):
            raise ParamsError(t("error.strategy.lists_dir_above", lists_dir=self.strategy.lists_dir))
        return lists


def _overlap(a: Path, b: Path) -> bool:
    """Whether one folder is the other or inside it."""
    return a == b or a in b.parents or b in a.parents


def find_project_dir(start: str | Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the working folder) holding params/default.yaml."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_FILE).is_file():
            return folder
    raise ParamsError(t("error.params.no_project", file=DEFAULT_FILE.as_posix(), folder=str(here)))


def load_params(project_dir: str | Path, period: Period | str | None = None) -> Params:
    """Read params/default.yaml, deep-merge params/<period>.yaml over it if that exists, and validate."""
    project = Path(project_dir).resolve()
    if not (project / DEFAULT_FILE).is_file():
        raise ParamsError(t("error.params.no_default", path=str(project / DEFAULT_FILE), file=DEFAULT_FILE.as_posix()))
    default = _read(project, DEFAULT_FILE)
    params = _validate(default, DEFAULT_FILE)
    if period is not None:
        override_file = DEFAULT_FILE.with_name(f"{Period.parse(str(period))}.yaml")
        if (project / override_file).is_file():
            override = _read(project, override_file)
            params = _validate(deep_merge(default, override), override_file)
    params._project_dir = project
    params.lists_folder()  # a lists folder where personal data would leak stops everything, before any run
    return params


def deep_merge(base: dict, override: dict) -> dict:
    """`override` over `base`: mappings merge key by key, anything else replaces.

    >>> deep_merge({"a": 1, "s": {"x": 1, "y": 2}}, {"s": {"y": 3}})
    {'a': 1, 's': {'x': 1, 'y': 3}}
    """
    merged = dict(base)
    for key, value in override.items():
        merged[key] = (
            deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read(project: Path, file: Path) -> dict:
    try:
        data = yaml.load((project / file).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except UnicodeDecodeError as err:
        raise ParamsError(t("error.params.encoding", file=file.as_posix(), byte=err.start)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = t("error.params.where", line=mark.line + 1, column=mark.column + 1) if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ParamsError(t("error.params.yaml", file=file.as_posix(), where=where, problem=problem)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(t("error.params.not_mapping", file=file.as_posix(), kind=type(data).__name__))
    return data


def _validate(data: dict, file: Path) -> Params:
    """Validate; the first problem becomes a ParamsError naming `file`, the file that made the data invalid."""
    try:
        return Params.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        more = t("error.params.more", n=len(errors) - 1) if len(errors) > 1 else ""
        raise ParamsError(f"{file.as_posix()}: {_describe(dict(errors[0]))}{more}") from None


_EXPECTED = {
    "int": "integer",
    "float": "number",
    "bool": "bool",
    "string": "string",
    "dict": "section",
    "model": "section",
}  # pydantic's kinds -> the catalogue's `error.params.expected.<kind>`


def _describe(error: dict) -> str:
    """One pydantic error as `where what, got value` in words a business reader can act on."""
    loc = tuple(error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    where = ".".join(map(str, loc))
    if kind == "extra_forbidden":
        parent, key = loc[:-1], loc[-1]
        known = _known_keys(parent)
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = t("error.params.did_you_mean", key=repr(close[0])) if close else ""
        section = ".".join(map(str, parent)) or t("error.params.top_level")
        return t("error.params.unknown_key", key=repr(key), section=section, hint=hint, known=", ".join(known))
    shown = kind != "missing" and not isinstance(error.get("input"), (dict, list))
    got = t("error.params.got", value=repr(error["input"])) if shown else ""
    if kind == "literal_error":
        return t("error.params.one_of", where=where, choices=ctx["expected"], got=got)
    if kind == "string_pattern_mismatch" and loc == ("currency",):
        return t("error.params.currency", got=got)
    if kind in ("greater_than", "greater_than_equal"):
        bound = (
            t("error.params.above", bound=str(ctx["gt"]))
            if kind == "greater_than"
            else t("error.params.at_least", bound=str(ctx["ge"]))
        )
        return t("error.params.must_be", where=where, what=bound, got=got)
    base = kind.split("_")[0]
    if base in _EXPECTED and kind.endswith(("_type", "_parsing", "_from_float", "_fraction")):
        return t("error.params.must_be", where=where, what=t(f"error.params.expected.{_EXPECTED[base]}"), got=got)
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}{got}" if where else message


def _known_keys(loc: tuple) -> list[str]:
    """The keys allowed in the section at `loc` (a path of field names from the top)."""
    model: Any = Params
    for part in loc:
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        model = field.annotation
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
