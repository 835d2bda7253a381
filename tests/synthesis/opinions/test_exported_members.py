"""The public API, pinned like encode/httpx ``tests/test_exported_members.py``."""

from types import ModuleType

import tashawur.synthesis.opinions as opinions


def test_exported_members_are_pinned():
    assert opinions.__all__ == [
        "BREAKDOWN_FIELDS",
        "POLIS_MIN_PARTICIPANTS",
        "POLIS_MIN_VOTES",
        "GroupBreakdown",
        "InputError",
        "OpinionMap",
        "PolisPCA",
        "Representative",
        "StatementStats",
        "Statements",
        "TwoLevelKMeans",
        "VoteError",
        "VoteMatrix",
        "Votes",
        "early_admissions",
        "group_breakdowns",
        "polis_kmeans",
        "polis_participant_filter",
        "polis_silhouette",
        "read_participants",
        "read_statements",
        "read_votes",
        "representative_statements",
        "statement_stats",
        "vote_matrix",
    ]


def test_all_lists_every_public_name_of_the_package_and_nothing_else():
    public = {
        name
        for name, value in vars(opinions).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert sorted(public) == sorted(opinions.__all__)
    assert len(opinions.__all__) == len(set(opinions.__all__))


def test_exported_members_come_from_private_modules():
    for name in opinions.__all__:
        member = getattr(opinions, name)
        module = getattr(member, "__module__", None)
        if module is not None and not isinstance(member, (int, tuple)):
            assert module.startswith("tashawur.synthesis.opinions._"), name


def test_the_package_does_not_import_django():
    import subprocess
    import sys

    code = "import sys, tashawur.synthesis.opinions.command; print('django' in sys.modules)"
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
