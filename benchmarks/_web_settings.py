"""Settings of the web benchmark's server (``bench_web.py``): the app's own settings, read from
the environment as in production, with a URL configuration that adds the bare view."""

from tashawur.config.settings import *  # noqa: F403

ROOT_URLCONF = "_web_urls"
