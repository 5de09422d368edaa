"""Every word a page, the console or an error shows: one gettext message catalogue per language.

The catalogues are `crmlib/locale/<language>/LC_MESSAGES/crmlib.po`, keyed by message ids such as
`stage.segmentation` or `error.source.no_folder`, so a translator works on one file. Babel compiles them to `.mo`
(`make setup` does it; a stale or missing `.mo` is compiled when first used). A message may hold `{placeholders}`;
numbers given for them are written in the language's way (1.234 in Bahasa Indonesia, 1,234 in English).

A language is a catalogue: adding a third is adding its `.po` (a copy of `en`'s, translated); the parameters'
`language` then accepts its code. Errors and console lines speak `current()` language, which a run sets from the
parameters (`use`); library calls outside a run speak English.

>>> t("stage.segmentation", "id"), t("stage.segmentation", "en")
('Segmentasi Pelanggan', 'Customer Segmentation')
>>> t("error.ingest.no_rows", "id", source="tx.csv", held=2500, table="transactions")[32:72]
'memuatnya akan mengganti 2.500 baris tra'
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "crmlib"
DEFAULT = "en"


def _po(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _languages() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in LOCALE_DIR.iterdir() if _po(p.name).is_file()))


LANGUAGES: tuple[str, ...] = _languages()
"""The languages there is a catalogue for."""


def refresh() -> None:
    """Read the catalogues again (after adding a language's `.po`, or pointing LOCALE_DIR elsewhere)."""
    global LANGUAGES
    LANGUAGES = _languages()
    for cached in (_catalog, _translations):
        cached.cache_clear()


_state = {"language": DEFAULT}


def use(language: str) -> None:
    """Speak `language` in errors and on the console from now on (a run calls this with its parameters')."""
    check_language(language)
    _state["language"] = language


def current() -> str:
    """The language errors and the console speak now."""
    return _state["language"]


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(
            f"language {language!r} has no catalogue; there are {', '.join(LANGUAGES)} "
            f"(add {_po(language).relative_to(LOCALE_DIR.parent.parent)} for another)"
        )


@cache
def _catalog(language: str):
    with open(_po(language), "rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


@cache
def _translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue: the `.mo` next to the `.po`, compiled first when it is missing or older."""
    check_language(language)
    po, mo = _po(language), _po(language).with_suffix(".mo")
    if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
        buffer = io.BytesIO()
        write_mo(buffer, _catalog(language))
        try:
            mo.write_bytes(buffer.getvalue())
        except OSError:  # an installed, read-only package: use the compiled bytes without keeping them
            return gettext.GNUTranslations(io.BytesIO(buffer.getvalue()))
    with open(mo, "rb") as handle:
        return gettext.GNUTranslations(handle)


def compile_catalogues() -> list[Path]:
    """Compile every `.po` to its `.mo` (what `make setup` runs); returns the `.mo` files."""
    out = []
    for language in LANGUAGES:
        buffer = io.BytesIO()
        write_mo(buffer, _catalog(language))
        mo = _po(language).with_suffix(".mo")
        mo.write_bytes(buffer.getvalue())
        out.append(mo)
    _translations.cache_clear()
    return out


def message_ids(language: str = DEFAULT) -> set[str]:
    """The message ids of a language's catalogue."""
    return {m.id for m in _catalog(language) if m.id}


def texts(language: str) -> dict[str, str]:
    """Every message of a language: id -> text."""
    return {m.id: m.string for m in _catalog(language) if m.id}


def known(key: str) -> bool:
    return key in message_ids(DEFAULT)


def t(key: str, language: str | None = None, /, **values) -> str:
    """The message `key` in `language` (default: `current()`), its placeholders filled; numbers in the language's
    way. A KeyError names a key that no catalogue holds."""
    language = language or current()
    text = _translations(language).gettext(key)
    if text == key and key not in message_ids(language):
        raise KeyError(
            f"no message {key!r} in {_po(language).name} of {language}; add it to every catalogue in {LOCALE_DIR}"
        )
    return text.format(**{k: _shown(v, language) for k, v in values.items()}) if values else text


def locale(language: str | None = None) -> Locale:
    """The Babel locale of a language, for formats: the one named in its catalogue's header (`Language:`)."""
    return _catalog(language or current()).locale or Locale.parse(language or current())


def _shown(value, language: str):
    """A number as the language writes it; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return format_decimal(value, format="#,##0.##", locale=locale(language))
