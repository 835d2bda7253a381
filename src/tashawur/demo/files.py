"""Where the demo's files are and how they are read; shared by the loader and the programme."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

#: Contributions of the demo keep their contributions.yaml key as ``demo-<key>`` (idempotency key).
CONTRIBUTION_KEY_PREFIX = "demo-"


class DemoDataError(ValueError):
    """The demo files are inconsistent (an unknown key, an empty or bidi-laden text…)."""


def default_data_dir() -> Traversable:
    return resources.files("tashawur.demo").joinpath("data")


#: libyaml's safe loader where PyYAML was built with it: the same result, ten times faster on
#: contributions.yaml (which a first start reads three times).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(data_dir: Traversable | Path, name: str) -> Any:
    text = data_dir.joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader, C or Python
