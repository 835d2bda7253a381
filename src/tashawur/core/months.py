"""Month names as Morocco writes them.

Django's Arabic catalogue names the months as the Mashriq does (أغسطس for August); Moroccan
administrations and participants write them the Maghreb way (غشت). Marking Django's own msgids
here puts them in the project's catalogues, which take precedence over Django's (``LOCALE_PATHS``),
so the ``date`` filter's ``F`` (and the alternative forms of ``E``) speak Moroccan Arabic. The
French catalogue repeats Django's French names, so that every msgid stays translated.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, pgettext_lazy

MONTHS = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)

MONTHS_ALT = (
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
