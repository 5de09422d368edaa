"""The message catalogue: every key in every language, no key unused, no words outside it."""

import ast
import json
import re
from pathlib import Path

import pytest

from crmlib import catalogue
from crmlib.report.params import Params

ROOT = Path(__file__).resolve().parents[1]


def _code_strings() -> list[str]:
    """Every string literal (and every literal piece of an f-string) in crmlib and the notebooks, docstrings
    left out."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "crmlib").rglob("*.py")]
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        sources += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    out = []
    for source in sources:
        tree = ast.parse(source)
        docstrings = {
            id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
        }
        out += [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
        ]
    return out


STRINGS = _code_strings()
WORDS = {w for s in STRINGS for w in re.findall(r"[a-z0-9_]+", s)}


def used(key: str) -> bool:
    """A key is used when the code names it whole, or builds it (f"segment.{key}.name") from parts it names."""
    if key in STRINGS or any(f'"{key}"' in s or f"'{key}'" in s for s in STRINGS):  # a template's t("key")
        return True
    parts = key.split(".")
    return len(parts) > 1 and all(p in WORDS for p in parts) and any(s.startswith(parts[0] + ".") for s in STRINGS)


def test_every_language_has_every_key_and_its_placeholders():
    english = catalogue.texts("en")
    for language in catalogue.LANGUAGES:
        texts = catalogue.texts(language)
        assert set(texts) == set(english), (language, set(english) ^ set(texts))
        for key, text in texts.items():
            assert text.strip(), (language, key)
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key])), (language, key)


def test_no_text_holds_an_older_version_of_itself():
    """A text edited in place must not keep its old wording after it (as a msgstr followed by the old lines)."""
    for language in catalogue.LANGUAGES:
        for key, text in catalogue.texts(language).items():
            opening = text[:40]
            assert len(opening) < 40 or text.count(opening) == 1, (language, key)


def test_no_key_of_the_catalogue_is_unused():
    unused = sorted(k for k in catalogue.message_ids() if not used(k))
    assert unused == []


def test_no_words_in_a_language_outside_the_catalogue():
    """No `id=`/`en=` pairs, no {"en": …, "id": …} dictionaries left in the code or the notebooks."""
    pattern = re.compile(r"""\b(id|en)=["']|["'](en|id)["']\s*:""")
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in (ROOT / "crmlib").rglob("*.py")}
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        texts[str(notebook.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells)
    found = [
        f"{name}:{number}: {line.strip()}"
        for name, text in texts.items()
        for number, line in enumerate(text.splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []


def test_a_third_language_is_one_file(tmp_path, monkeypatch):
    """Copy a catalogue under another code and the language exists: the parameters accept it."""
    locale = tmp_path / "locale"
    for language in catalogue.LANGUAGES:
        (locale / language / "LC_MESSAGES").mkdir(parents=True)
        (locale / language / "LC_MESSAGES" / "crmlib.po").write_bytes(
            (catalogue.LOCALE_DIR / language / "LC_MESSAGES" / "crmlib.po").read_bytes()
        )
    malay = locale / "ms" / "LC_MESSAGES"
    malay.mkdir(parents=True)
    text = (catalogue.LOCALE_DIR / "id" / "LC_MESSAGES" / "crmlib.po").read_text(encoding="utf-8")
    malay.joinpath("crmlib.po").write_text(
        text.replace("Language: id_ID", "Language: ms_MY").replace('msgstr "Pelanggan"', 'msgstr "Pelanggan (ms)"'),
        encoding="utf-8",
    )
    monkeypatch.setattr(catalogue, "LOCALE_DIR", locale)
    catalogue.refresh()
    try:
        assert "ms" in catalogue.LANGUAGES
        assert catalogue.t("customers", "ms") == "Pelanggan (ms)"
        assert str(catalogue.locale("ms")) == "ms_MY"
        assert Params.model_validate({"language": "ms"}).language == "ms"
    finally:
        monkeypatch.undo()
        catalogue.refresh()
    with pytest.raises(ValueError, match="must be one of en, id"):
        Params.model_validate({"language": "ms"})


@pytest.mark.parametrize("language", catalogue.LANGUAGES)
def test_numbers_in_messages_are_written_the_language_s_way(language):
    text = catalogue.t("note.ingest.derived", language, n=12345)
    assert ("12.345" if language == "id" else "12,345") in text
