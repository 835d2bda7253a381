"""Settings for the test suite: the environment-driven settings with ``TASHAWUR_ENV=test``."""

import os

os.environ["TASHAWUR_ENV"] = "test"

from tashawur.config.settings import *  # noqa: F403
