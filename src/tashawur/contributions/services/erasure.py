"""Erasing a participant (Law 09-08): their data goes, what they said stays without them."""

from __future__ import annotations

from django.db import transaction

from tashawur.actors.models import Participant
from tashawur.actors.services import (
    participant_anonymise,
)
from tashawur.contributions.models import (
    Contribution,
    InboundMessage,
)

# --- erasure ---------------------------------------------------------------------------------


@transaction.atomic
def participant_erase(*, participant: Participant) -> Participant:
    """Erase a participant (Law 09-08): anonymise the person, keep what they said.

    Lives here rather than in ``actors`` because it reaches the participant's contributions:
    their voice notes are personal data and go; the texts and votes stay, attached to an
    anonymous participant. A voice note still awaiting its transcription goes with its
    contribution.
    """
    participant = participant_anonymise(participant=participant)
    # The keyed hash of the number their SMS came from would link them to it: it goes too.
    InboundMessage.objects.filter(contribution__author=participant).update(sender_hash="")
    with_audio = Contribution.objects.filter(author=participant).exclude(audio="")
    names = [name for name in with_audio.values_list("audio", flat=True) if name]
    # A voice note nobody has transcribed yet is all there is of what was said: without the
    # voice nothing of it can stay, so the contribution goes with it (its moderation events,
    # reports and votes with it; nothing cites an unpublished, textless item).
    with_audio.filter(text="").delete()
    with_audio.update(audio="")
    if names:
        transaction.on_commit(lambda: _storage_delete(names))
    return participant


def _storage_delete(names: list[str]) -> None:
    storage = Contribution._meta.get_field("audio").storage  # private storage

    for name in names:
        storage.delete(name)
