"""Erasing a participant (Law 09-08): their data goes, what they said stays without them."""

from __future__ import annotations

from django.db import transaction

from tashawur.actors.models import Participant
from tashawur.actors.services import (
    participant_anonymise,
)
from tashawur.contributions.models import (
    Contribution,
)

# --- erasure ---------------------------------------------------------------------------------


@transaction.atomic
def participant_erase(*, participant: Participant) -> Participant:
    """Erase a participant (Law 09-08): anonymise the person, keep what they said.

    Lives here rather than in ``actors`` because it reaches the participant's contributions:
    their voice notes are personal data and go; the texts and votes stay, attached to an
    anonymous participant.
    """
    participant = participant_anonymise(participant=participant)
    with_audio = Contribution.objects.filter(author=participant).exclude(audio="")
    names = [name for name in with_audio.values_list("audio", flat=True) if name]
    with_audio.update(audio="")
    if names:
        transaction.on_commit(lambda: _storage_delete(names))
    return participant


def _storage_delete(names: list[str]) -> None:
    storage = Contribution._meta.get_field("audio").storage  # private storage

    for name in names:
        storage.delete(name)
