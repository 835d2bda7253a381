"""Signals of the consultations app, for loose reactions of the apps above it (STYLE.md: never
for correctness).

- ``workshop_closed``: sent once a workshop's close has committed, with ``workshop`` (the closed
  ``Workshop``). The diagnosis queues a refresh of its consultation's synthesis on it.
"""

from __future__ import annotations

from django.dispatch import Signal

workshop_closed = Signal()
