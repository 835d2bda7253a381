"""Every message of the project has its Arabic and French translation, Arabic with its six
plural forms, and the compiled catalogues are the ones Django loads."""

from __future__ import annotations

import gettext
import re
from datetime import date, datetime
from pathlib import Path

import polib
import pytest
from django.utils import translation
from django.utils.formats import date_format

LOCALE = Path(__file__).resolve().parents[2] / "src/tashawur/locale"
ARABIC_PLURALS = (
    "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
)


def _entries(language: str) -> list[polib.POEntry]:
    """The catalogue's live entries (not the header, not obsolete ones)."""
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES/django.po"))
    return [entry for entry in catalogue if not entry.obsolete]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_message_is_translated(language: str) -> None:
    forms = 6 if language == "ar" else 2
    untranslated = []
    for entry in _entries(language):
        if entry.msgid_plural:
            strings = [entry.msgstr_plural.get(n, "") for n in range(forms)]
        else:
            strings = [entry.msgstr]
        if not all(strings) or entry.fuzzy:
            untranslated.append(entry.msgid)
    assert untranslated == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_translations_use_only_the_placeholders_they_are_given(language: str) -> None:
    """A placeholder the code does not pass would raise KeyError when the page renders."""
    placeholder = re.compile(r"%\((\w+)\)s")
    broken = []
    for entry in _entries(language):
        given = set(placeholder.findall(f"{entry.msgid} {entry.msgid_plural}"))
        translations = {"msgstr": entry.msgstr} | {
            f"msgstr[{n}]": text for n, text in entry.msgstr_plural.items()
        }
        for key, value in translations.items():
            if not set(placeholder.findall(value)) <= given:
                broken.append((entry.msgid, key))
    assert broken == []


def test_arabic_catalogue_declares_six_plural_forms() -> None:
    with (LOCALE / "ar/LC_MESSAGES/django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.info()["plural-forms"] == ARABIC_PLURALS
    assert [
        catalogue.ngettext("%(counter)s contribution", "%(counter)s contributions", n)
        % {"counter": n}
        for n in (0, 1, 2, 3, 11, 100)
    ] == ["لا مساهمات", "مساهمة واحدة", "مساهمتان", "3 مساهمات", "11 مساهمة", "100 مساهمة"]


def test_django_uses_the_compiled_catalogue() -> None:
    with translation.override("fr"):
        assert translation.gettext("Contribute") == "Contribuer"
    with translation.override("ar"):
        assert translation.gettext("Contribute") == "ساهِم"


def test_dates_use_moroccan_month_names_in_arabic() -> None:
    meeting_day = date(2018, 8, 4)
    with translation.override("ar"):
        arabic = date_format(meeting_day, "DATE_FORMAT")
        arabic_alt = date_format(meeting_day, "E")
        december = date_format(date(2018, 12, 1), "F")
    with translation.override("fr"):
        french = date_format(meeting_day, "DATE_FORMAT")
    assert "غشت" in arabic and "أغسطس" not in arabic
    assert arabic_alt == "غشت"
    assert december == "دجنبر"
    assert french == "4 août 2018"


def test_a_date_with_its_time_reads_the_moroccan_way_in_arabic() -> None:
    # Django's Arabic locale has no DATETIME_FORMAT: without core/formats/ar it fell back to the
    # English "N j, Y, P" ("أغسطس 4, 2018, 10:30 ص").
    moment = datetime(2018, 8, 4, 14, 30)
    with translation.override("ar"):
        arabic = date_format(moment, "DATETIME_FORMAT")
    with translation.override("fr"):
        french = date_format(moment, "DATETIME_FORMAT")
    assert arabic == "4 غشت 2018، 14:30"
    assert french == "4 août 2018 14:30"
