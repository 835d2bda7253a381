"""Versions of a consultation's data that cost one cache read: the *generations*
(``core.caching.generation``) that the cached public pages, the open-data ZIP, the author
profiles and the home counts are keyed under.

Why tokens and not indexed aggregates: a ``Count`` + ``Max(updated_at)`` over a consultation's
contributions and their authors read every row of it (0.2 s at 100,000 contributions, on every
cached request); an index on (consultation, updated_at) would answer the last change but not an
author's profile change, a consent withdrawal or a deletion; and a version row per consultation
would be one hot row that every vote of a national event updates. A token in the cache (Redis in
production) is read in one round trip, replaced by a writer in one, and locks nothing.

Four generations per consultation, and one for all:

- ``data`` — its contributions and their authors: a contribution created (web, facilitator,
  API, notes import, offline sync, SMS), edited, transcribed, moderated; an author's profile,
  organisations, consent or erasure (every consultation they contributed to).
- ``votes`` — the vote counters of its contributions: only what shows votes reads it (the home
  and consultation counts, open data), so a vote does not drop the cached diagnosis.
- ``removals`` — what could take something *out* of what was published: a contribution edited,
  deleted or taken down by moderation, an author's profile, consent or erasure. Every ``data``
  bump is one too (``consultation_data_changed``) but a contribution added
  (``consultation_data_added``: created, published by moderation, its language tagged), so that
  the open-data ZIP may be served a little old after a vote or a new contribution while its
  rebuild waits in the queue, and never after a takedown (``api.archives``).
- ``pages`` — what the consultation's public pages read besides its contributions and its own
  row (``consultations.generations``): its synthesis runs (requested,
  claimed, finished, failed), their curation events, the diagnosis's publications, the
  programme and its measures, owners and partners, budgets and funding lines, cited findings,
  indicators and progress updates. The selectors keep the page versions they read (a few
  queries) under this token (``diagnosis.selectors.diagnosis_versions_row``,
  ``programmes.selectors.programme_page_versions``), so that a cached page's hit reads them
  from the cache, not the database. Bumped by the diagnosis's and programme's signals
  (``diagnosis.generations``, ``programmes.generations``) and by their services where they
  write with ``update`` or ``bulk_create``.
- ``all`` — what every consultation's authors are described by: an organisation (its actor
  type, its name as an owner or partner), a consent text published (whose consent still
  stands), data loaded in bulk (the demo).

The bumps are made by the writers' services where they write with ``QuerySet.update`` (which
sends no signal: moderation, the SMS and language updates, the vote counters, their recount)
and, for the rows saved or deleted one by one (services, the admin, data loaders), by the model
signals connected in ``ContributionsConfig.ready``: a cache that must never go stale cannot rely
on every future writer remembering a call. A vote row is not versioned, its counters are
(``vote_cast`` moves them with ``_counters_move``, which bumps ``votes``). A bump lands again when
the transaction commits (``core.caching.generation_bump``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from tashawur.actors.models import Consent, ConsentText, Organisation, Participant
from tashawur.contributions.models import Contribution
from tashawur.core.caching import generation_bump, generations

EVERYWHERE = "consultations:all"


def _data(consultation_id: int) -> str:
    return f"consultation:{consultation_id}:data"


def _votes(consultation_id: int) -> str:
    return f"consultation:{consultation_id}:votes"


def _removals(consultation_id: int) -> str:
    return f"consultation:{consultation_id}:removals"


def _pages(consultation_id: int) -> str:
    return f"consultation:{consultation_id}:pages"


def consultation_pages_generation(consultation_id: int) -> tuple[str, str]:
    """The version of what the consultation's public pages read besides its contributions and
    its row (runs, curation, publications, programme: ``pages``; one cache read)."""
    pages, everywhere = generations(_pages(consultation_id), EVERYWHERE)
    return (pages, everywhere)


def consultation_data_generation(consultation_id: int) -> tuple[str, str]:
    """The version of the consultation's contributions and their authors (one cache read)."""
    data, everywhere = generations(_data(consultation_id), EVERYWHERE)
    return (data, everywhere)


def consultation_votes_generation(consultation_id: int) -> tuple[str, str, str]:
    """The version of the consultation's contributions, authors and vote counters."""
    data, votes, everywhere = generations(
        _data(consultation_id), _votes(consultation_id), EVERYWHERE
    )
    return (data, votes, everywhere)


def consultation_removals_generation(consultation_id: int) -> tuple[str, str]:
    """The version of what could have taken something out of the consultation's published data
    (a takedown, an edit, an author's consent or erasure; one cache read)."""
    removals, everywhere = generations(_removals(consultation_id), EVERYWHERE)
    return (removals, everywhere)


def consultations_votes_generations(consultation_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """``consultation_votes_generation`` of each, in one cache round trip."""
    ids = list(consultation_ids)
    scopes = [scope for pk in ids for scope in (_data(pk), _votes(pk))]
    tokens = generations(*scopes, EVERYWHERE)
    return {pk: (tokens[2 * i], tokens[2 * i + 1], tokens[-1]) for i, pk in enumerate(ids)}


def consultation_data_changed(*consultation_ids: int | None) -> None:
    """A contribution of these consultations (or its author) changed: taken as a possible
    removal too, unless the writer says it only added (``consultation_data_added``)."""
    ids = {pk for pk in consultation_ids if pk is not None}
    generation_bump(*{_data(pk) for pk in ids}, *{_removals(pk) for pk in ids})


def consultation_data_added(*consultation_ids: int | None, on_commit_only: bool = False) -> None:
    """A contribution of these consultations was added to what may be published (created,
    published by moderation, its language tagged), and nothing was taken out.
    ``on_commit_only``: as ``generation_bump``'s."""
    generation_bump(
        *{_data(pk) for pk in consultation_ids if pk is not None}, on_commit_only=on_commit_only
    )


def consultation_votes_changed(*consultation_ids: int | None) -> None:
    """The vote counters of these consultations' contributions moved."""
    generation_bump(*{_votes(pk) for pk in consultation_ids if pk is not None})


def consultation_pages_changed(*consultation_ids: int | None) -> None:
    """What these consultations' public pages read besides their contributions changed (a
    run, a curation event, a publication, the programme or a part of it)."""
    generation_bump(*{_pages(pk) for pk in consultation_ids if pk is not None})


def participant_data_changed(participant_id: int | None) -> None:
    """Something of the participant that public data shows changed (profile, organisations,
    consent, erasure): every consultation they contributed to. One query, by the author index."""
    if participant_id is None:
        return
    consultation_data_changed(
        *Contribution.objects.filter(author_id=participant_id)
        .order_by()
        .values_list("consultation_id", flat=True)
        .distinct()
    )


def everything_changed() -> None:
    """What every consultation's authors are described by changed (or data was loaded in
    bulk, past the services): every generation at once."""
    generation_bump(EVERYWHERE)


# -- the signals (connected in ContributionsConfig.ready) ------------------------------------------


def _contribution_saved(sender: Any, instance: Contribution, **kwargs: Any) -> None:
    if kwargs.get("created"):
        consultation_data_added(instance.consultation_id)
    else:  # an edit or a deletion may take out what was published
        consultation_data_changed(instance.consultation_id)


def _participant_saved(sender: Any, instance: Participant, **kwargs: Any) -> None:
    if kwargs.get("created"):
        return  # a participant just created has contributed to nothing: no query to learn it
    participant_data_changed(instance.pk)


def _consent_saved(sender: Any, instance: Consent, **kwargs: Any) -> None:
    participant_data_changed(instance.participant_id)


def _organisations_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Participant):
        participant_data_changed(instance.pk)
    else:
        everything_changed()  # an organisation's members changed, seen from its side


def _everything(sender: Any, **kwargs: Any) -> None:
    everything_changed()


def signals_connect() -> None:
    uid = "tashawur.contributions.generations"
    for signal in (post_save, post_delete):
        signal.connect(_contribution_saved, sender=Contribution, dispatch_uid=f"{uid}.c{signal}")
        signal.connect(_participant_saved, sender=Participant, dispatch_uid=f"{uid}.p{signal}")
        signal.connect(_consent_saved, sender=Consent, dispatch_uid=f"{uid}.s{signal}")
        signal.connect(_everything, sender=Organisation, dispatch_uid=f"{uid}.o{signal}")
        signal.connect(_everything, sender=ConsentText, dispatch_uid=f"{uid}.t{signal}")
    m2m_changed.connect(
        _organisations_changed,
        sender=Participant.organisations.through,
        dispatch_uid=f"{uid}.m2m",
    )
