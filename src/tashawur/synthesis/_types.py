"""The data the synthesis steps pass to each other and return: plain, typed, serialisable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: The version of the synthesis engine, recorded in every result.
ENGINE_VERSION = "tashawur.synthesis 0.1.0"
#: Language codes used everywhere (see the contract in ``docs``).
LANGUAGES = ("ar", "ary", "ary-Latn", "fr", "en", "zgh", "zgh-Latn", "und")
#: Script codes (ISO 15924).
SCRIPTS = ("Arab", "Latn", "Tfng", "Zyyy")
AMAZIGH = frozenset({"zgh", "zgh-Latn"})


@dataclass(frozen=True, slots=True)
class Record:
    """One contribution as the synthesis sees it.

    ``text`` is kept verbatim for display and quotes; ``analysis_text`` is its cleaned form,
    and ``language``/``script``/``language_confidence`` are filled by the identify step.
    """

    id: str
    text: str
    translation: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    analysis_text: str = ""
    language: str = "und"
    script: str = "Zyyy"
    language_confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Quote:
    """A representative contribution of a finding, quoted verbatim."""

    id: str
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class ProfileGroup:
    """How one group (a value of a metadata field) is represented in a finding."""

    value: str
    count: int
    share: float
    overall_share: float
    lift: float
    p_value: float
    over_represented: bool


@dataclass(slots=True)
class Finding:
    """Contributions that say the same thing.

    ``member_ids`` are the canonical (non-duplicate) contributions; ``size`` counts them plus
    their duplicates, i.e. how many contributions carry the finding.
    """

    id: str
    theme: str
    size: int
    label_ar: str
    label_fr: str
    key_phrases_ar: list[str]
    key_phrases_fr: list[str]
    representative_ids: list[str]
    member_ids: list[str]
    profiles: dict[str, list[ProfileGroup]]
    quotes: list[Quote] = field(default_factory=list)
    duplicate_count: int = 0
    # Titles in the members' own words (``_title``): an Arabic-script and a French phrase, the
    # contributions they come from, the finding they were borrowed from (when the finding has
    # no Arabic-script or French text of its own), and whether only the French one exists.
    title_ar: str = ""
    title_fr: str = ""
    title_ar_source: str | None = None
    title_fr_source: str | None = None
    title_borrowed_from: str | None = None
    title_language_fallback: bool = False


@dataclass(slots=True)
class Theme:
    """A coarse group of findings."""

    id: str
    size: int
    label_ar: str
    label_fr: str
    finding_ids: list[str]
    key_phrases_ar: list[str] = field(default_factory=list)
    key_phrases_fr: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """A canonical contribution and the copies of it that were folded into it."""

    canonical_id: str
    duplicate_ids: tuple[str, ...]
    levels: tuple[str, ...]  # per duplicate: "exact", "normalised" or "paraphrase"

    @property
    def count(self) -> int:
        """Copies folded into the canonical contribution (not counting it)."""
        return len(self.duplicate_ids)


@dataclass(slots=True)
class SynthesisResult:
    """What a synthesis run returns; ``to_dict`` gives its JSON form."""

    assignments: list[dict[str, str | None]]
    findings: list[Finding]
    themes: list[Theme]
    duplicates: list[DuplicateGroup]
    warnings: list[str]
    parameters: dict[str, Any]
    timings: dict[str, float]
    engine_version: str

    def to_dict(self, *, assignments: bool = True) -> dict[str, Any]:
        """Return the result as JSON-serialisable builtins.

        Parameters
        ----------
        assignments : bool
            Include the per-contribution assignments (large for big inputs; the
            findings' member ids and the duplicate groups carry the same information).
        """
        out: dict[str, Any] = {
            "engine_version": self.engine_version,
            "parameters": self.parameters,
            "timings": self.timings,
            "warnings": list(self.warnings),
            "themes": [_plain(t) for t in self.themes],
            "findings": _findings_plain(self.findings),
            "duplicates": [
                {
                    "canonical_id": d.canonical_id,
                    "duplicate_ids": list(d.duplicate_ids),
                    "levels": list(d.levels),
                    "count": d.count,
                }
                for d in self.duplicates
            ],
        }
        if assignments:
            out["assignments"] = [dict(a) for a in self.assignments]
        return out


_ATOMS = (str, int, float, bool, type(None))
_ATOM_TYPES = frozenset(_ATOMS)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` for the result's types, without its deep copies: strings and
    numbers are immutable, so only containers are built anew (a fifth of the time on a
    30,000-contribution result, the same output)."""
    cls = type(value)
    if cls in _ATOM_TYPES or isinstance(value, _ATOMS):
        return value
    names = _FIELD_NAMES.get(cls)
    if names is None and hasattr(cls, "__dataclass_fields__"):
        names = _FIELD_NAMES.setdefault(cls, tuple(f.name for f in fields(value)))
    if names is not None:
        if cls in _FLAT:
            return {name: getattr(value, name) for name in names}
        items = [getattr(value, name) for name in names]
        # The common case (a string, a number) without a call.
        return {
            name: v if type(v) in _ATOM_TYPES else _plain(v)
            for name, v in zip(names, items, strict=True)
        }
    if isinstance(value, list | tuple):
        out = [v if type(v) in _ATOM_TYPES else _plain(v) for v in value]
        return out if cls is list else cls(out)
    if isinstance(value, dict):
        return {_plain(k): v if type(v) in _ATOM_TYPES else _plain(v) for k, v in value.items()}
    return value


#: The result's types whose fields are all strings, numbers, booleans or None.
_FLAT = frozenset({Quote, ProfileGroup})


def _findings_plain(findings: list[Finding]) -> list[dict[str, Any]]:
    """``[_plain(f) for f in findings]``, each profile group's fields read once: the profile
    step shares one frozen `ProfileGroup` between the cells alike (most of a national
    consultation's), and each gets a copy of that group's dict (a fresh container, as
    `_plain` gives)."""
    seen: dict[int, dict[str, Any]] = {}

    def group(value: ProfileGroup) -> dict[str, Any]:
        plain = seen.get(id(value))  # every group is alive (in ``findings``) meanwhile
        if plain is None:
            plain = seen[id(value)] = _plain(value)
        return dict(plain)

    out = []
    for finding in findings:
        plain = {}
        for name in _finding_fields():
            value = getattr(finding, name)
            if name == "profiles":
                plain[name] = {field: [group(g) for g in groups] for field, groups in value.items()}
            else:
                plain[name] = value if type(value) in _ATOM_TYPES else _plain(value)
        out.append(plain)
    return out


def _finding_fields() -> tuple[str, ...]:
    names = _FIELD_NAMES.get(Finding)
    if names is None:
        names = _FIELD_NAMES.setdefault(Finding, tuple(f.name for f in fields(Finding)))
    return names


def previous_assignment(previous: SynthesisResult | Mapping[str, Any]) -> dict[str, str]:
    """Map every contribution id of an earlier result to its finding id.

    Works from the findings' member ids and the duplicate groups, so the JSON written by the
    command (which leaves the per-contribution assignments out) is enough.
    """
    if isinstance(previous, SynthesisResult):
        previous = previous.to_dict(assignments=False)
    mapping: dict[str, str] = {}
    for finding in previous.get("findings", []):
        for member in finding["member_ids"]:
            mapping[str(member)] = str(finding["id"])
    for group in previous.get("duplicates", []):
        finding_id = mapping.get(str(group["canonical_id"]))
        if finding_id is not None:
            for dup in group["duplicate_ids"]:
                mapping.setdefault(str(dup), finding_id)
    return mapping


def previous_themes(previous: SynthesisResult | Mapping[str, Any]) -> dict[str, str]:
    """Map every finding id of an earlier result to its theme id."""
    if isinstance(previous, SynthesisResult):
        return {f.id: f.theme for f in previous.findings}
    return {str(f["id"]): str(f["theme"]) for f in previous.get("findings", [])}
