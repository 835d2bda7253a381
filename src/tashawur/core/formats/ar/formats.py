"""Arabic formats Django leaves out. Django's Arabic locale has no ``DATETIME_FORMAT``, so a date
with its time fell back to the English default ("ديسمبر 7, 2026, 2:31 ص"). Here: the day, the
month's full name (Moroccan, from the project's catalogue: ``core.months``), the year and a
24-hour time, as Moroccan administrations write them."""

DATETIME_FORMAT = "j F Y، H:i"
