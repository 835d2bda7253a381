"""Templates are compiled once per process, not on each request: the page renders are what
the diagnosis's CPU budget pays for (issue 15), never the parsing of its templates."""

from __future__ import annotations

from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader


def test_templates_are_compiled_once_per_process() -> None:
    engine = engines["django"].engine
    assert not engine.debug

    first = engine.get_template("diagnosis/consultation.html")

    assert engine.get_template("diagnosis/consultation.html") is first
    assert any(isinstance(loader, CachedLoader) for loader in engine.template_loaders[0].loaders)
