"""Parameters: defaults, per-period overrides, and errors that name the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crmlib.collect.options import IngestOptions
from crmlib.errors import ParamsError
from crmlib.report.params import Params, find_project_dir, load_params

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's params folder."""
    shutil.copytree(PROJECT / "params", tmp_path / "params")
    return tmp_path


def write(project: Path, name: str, text: str) -> None:
    (project / "params" / name).write_text(text)


def test_defaults_load_and_match_the_models(project):
    params = load_params(project)
    assert params.model_dump() == Params().model_dump()
    assert (params.language, params.currency, params.seed) == ("id", "IDR", 42)
    assert (params.sample.customers, params.sample.months, params.sample.seed) == (2000, 24, 42)
    assert isinstance(params.ingest, IngestOptions)
    assert params.path("warehouse") == project.resolve() / "data" / "warehouse.duckdb"
    assert params.path("reports_dir") == project.resolve() / "reports"


def test_period_override_merges_over_default(project):
    write(project, "2025-06.yaml", "language: en\nsample:\n  months: 12\ningest:\n  decimal: ','\n")
    june = load_params(project, "2025-06")
    assert (june.language, june.sample.months, june.sample.customers, june.ingest.decimal) == ("en", 12, 2000, ",")
    assert june.ingest.timezone == "Asia/Jakarta"
    assert load_params(project, "2025-05").language == "id"  # no override file for May


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (
            "default.yaml",
            "langauge: en\n",
            "params/default.yaml: unknown key 'langauge' at top level "
            "(did you mean 'language'? known keys: language, locale, currency,",
        ),
        ("2025-06.yaml", "sample:\n  custs: 5\n", "params/2025-06.yaml: unknown key 'custs' at sample"),
        ("2025-06.yaml", "ingest:\n  colums: {}\n", "params/2025-06.yaml: unknown key 'colums' at ingest"),
    ],
)
def test_unknown_key_names_key_and_file(project, name, expected, text):
    write(project, name, text)
    with pytest.raises(ParamsError) as caught:
        load_params(project, "2025-06")
    assert str(caught.value).startswith(expected)


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (
            "default.yaml",
            "sample:\n  customers: abc\n",
            "params/default.yaml: sample.customers must be an integer, got 'abc'",
        ),
        ("2025-06.yaml", "seed: '7'\n", "params/2025-06.yaml: seed must be an integer, got '7'"),
        (
            "2025-06.yaml",
            "language: fr\n",
            "params/2025-06.yaml: language: must be one of en, id (a catalogue in crmlib/locale), got 'fr'",
        ),
        ("2025-06.yaml", "currency: rupiah\n", "params/2025-06.yaml: currency must be a three-letter ISO 4217 code"),
        ("2025-06.yaml", "ingest:\n  dayfirst: maybe\n", "params/2025-06.yaml: ingest.dayfirst must be true or false"),
        (
            "2025-06.yaml",
            "ingest:\n  thousands: '.'\n  decimal: '.'\n",
            "params/2025-06.yaml: ingest: decimal and thousands",
        ),
    ],
)
def test_wrong_type_names_key_and_file(project, name, text, expected):
    write(project, name, text)
    with pytest.raises(ParamsError) as caught:
        load_params(project, "2025-06")
    assert str(caught.value).startswith(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sample:\n  customers: 3\n months: 4\n", "params/2025-06.yaml line 3, column 2: not valid YAML"),
        ("seed: 1\nseed: 2\n", "params/2025-06.yaml line 2, column 1: not valid YAML (key 'seed' is given twice)"),
        ("- a list\n", "params/2025-06.yaml: must hold `key: value` lines"),
    ],
)
def test_bad_yaml_names_file_and_line(project, text, expected):
    write(project, "2025-06.yaml", text)
    with pytest.raises(ParamsError) as caught:
        load_params(project, "2025-06")
    assert str(caught.value).startswith(expected)


def test_empty_override_is_allowed(project):
    write(project, "2025-06.yaml", "# nothing to change this month\n")
    assert load_params(project, "2025-06") == load_params(project)


@pytest.mark.parametrize("period", ["2025-13", "June 2025", "25-06"])
def test_bad_period(project, period):
    with pytest.raises(ParamsError, match="is not a period"):
        load_params(project, period)


def test_missing_default_file(tmp_path):
    with pytest.raises(ParamsError, match="params/default.yaml not found"):
        load_params(tmp_path)


def test_find_project_dir_walks_up(project, tmp_path_factory):
    (project / "notebooks" / "deep").mkdir(parents=True)
    assert find_project_dir(project / "notebooks" / "deep") == project.resolve()
    with pytest.raises(ParamsError, match="no params/default.yaml in"):
        find_project_dir(tmp_path_factory.mktemp("elsewhere"))
