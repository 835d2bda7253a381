from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is translated and safe to show to the user.

    ``code`` is a stable, machine-readable name for the rule (``workshop_closed``, ``text_empty``…)
    that tests and API clients rely on; ``field`` names the form field at fault, when one is.
    """

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
