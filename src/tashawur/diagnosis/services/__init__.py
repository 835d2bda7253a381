"""Writes of the diagnosis: request a synthesis run, execute it, store what it found, curate it,
then write the diagnosis on it and publish it.

- ``runs``: request, execute (the background task), lease and recovery of synthesis runs, and
  the debounced refresh queued when a workshop closes;
- ``embeddings``: the sentence vectors kept across runs, so that a run embeds only new texts;
- ``storing``: what a run reads and how its findings and opinion map are stored;
- ``curation``: rename, accept or reject, merge and split the findings of the run shown;
- ``carry_over``: that curation replayed on a new run, and what it cannot carry, to decide;
- ``rollup``: the national roll-up of a strategy over all its regions;
- ``writing``: the diagnosis's entries, proposed entries, and publication.

Callers import the public names from here (``from tashawur.diagnosis import services``).
"""

from tashawur.diagnosis.services.carry_over import (
    JACCARD_MIN,
    CarryOver,
    carry_over_issue_resolve,
    curation_carry_over,
)
from tashawur.diagnosis.services.curation import (
    QUOTES_MAX,
    TITLE_MAX_LENGTH,
    finding_rename,
    finding_split,
    finding_status_set,
    findings_merge,
)
from tashawur.diagnosis.services.rollup import (
    rollup_run_execute,
    rollup_run_now,
    rollup_run_request,
    rollup_run_task,
    rollup_runs_abandon_pending,
)
from tashawur.diagnosis.services.runs import (
    DEFAULT_EMBEDDER,
    DEFAULT_RUN_LEASE_SECONDS,
    EMBEDDERS,
    HEARTBEATS_PER_LEASE,
    RANDOM_STATE,
    RunsRecovered,
    synthesis_embedder,
    synthesis_run_execute,
    synthesis_run_lease,
    synthesis_run_refresh,
    synthesis_run_request,
    synthesis_run_task,
    synthesis_runs_abandon_pending,
    synthesis_runs_recover,
)
from tashawur.diagnosis.services.storing import (
    OPINION_MIN_PARTICIPANTS,
    OPINION_MIN_STATEMENTS,
    SynthesisRunError,
)
from tashawur.diagnosis.services.writing import (
    STATEMENT_MAX_LENGTH,
    diagnosis_entries_propose,
    diagnosis_entry_create,
    diagnosis_entry_delete,
    diagnosis_entry_move,
    diagnosis_entry_update,
    diagnosis_publish,
)

__all__ = [
    "DEFAULT_EMBEDDER",
    "DEFAULT_RUN_LEASE_SECONDS",
    "EMBEDDERS",
    "HEARTBEATS_PER_LEASE",
    "JACCARD_MIN",
    "OPINION_MIN_PARTICIPANTS",
    "OPINION_MIN_STATEMENTS",
    "QUOTES_MAX",
    "RANDOM_STATE",
    "STATEMENT_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "CarryOver",
    "RunsRecovered",
    "SynthesisRunError",
    "carry_over_issue_resolve",
    "curation_carry_over",
    "diagnosis_entries_propose",
    "diagnosis_entry_create",
    "diagnosis_entry_delete",
    "diagnosis_entry_move",
    "diagnosis_entry_update",
    "diagnosis_publish",
    "finding_rename",
    "finding_split",
    "finding_status_set",
    "findings_merge",
    "rollup_run_execute",
    "rollup_run_now",
    "rollup_run_request",
    "rollup_run_task",
    "rollup_runs_abandon_pending",
    "synthesis_embedder",
    "synthesis_run_execute",
    "synthesis_run_lease",
    "synthesis_run_refresh",
    "synthesis_run_request",
    "synthesis_run_task",
    "synthesis_runs_abandon_pending",
    "synthesis_runs_recover",
]
