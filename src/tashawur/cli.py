"""The ``tashawur`` command: demo, serve, worker, synthesize, opinions, manage.

Sub-commands that belong to the pure synthesis library (``synthesize``, ``opinions``) are
dispatched without configuring Django, so they run anywhere the library runs.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

# name -> (module, function, one-line help). The function takes argv (without the sub-command).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("tashawur.demo.command", "main", "set up and serve the Souss-Massa 2018 demo"),
    "serve": ("tashawur.demo.command", "serve", "serve the site (gunicorn in production)"),
    "worker": ("tashawur.demo.command", "worker", "run a background task worker"),
    "manage": ("tashawur.cli", "manage", "run a Django management command"),
    "synthesize": (
        "tashawur.synthesis.command",
        "main",
        "synthesise a file of contributions into themes and findings",
    ),
    "opinions": (
        "tashawur.synthesis.opinions.command",
        "main",
        "compute opinion groups, consensus and divisive statements from votes",
    ),
}


def manage(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tashawur.config.settings")
    from django.core.management import execute_from_command_line

    # On stderr: what commands print on stdout may be read by a program (dumpdata, a CSV).
    if "DJANGO_AUTO_COMPLETE" not in os.environ:
        print(settings_description(), file=sys.stderr, flush=True)
    execute_from_command_line(["tashawur manage", *argv])
    return 0


def settings_description() -> str:
    """Which settings and database ``tashawur manage`` works on, and how to reach the demo's.

    Never raises: settings that cannot load are Django's to report, with its own message."""
    try:
        from django.conf import settings

        env = settings.ENV
        database = settings.DATABASES["default"]
        engine = str(database["ENGINE"]).rsplit(".", 1)[-1]
        if engine == "sqlite3":
            where = f"SQLite {database['NAME']}"
        else:
            port = f":{database['PORT']}" if database.get("PORT") else ""
            where = (
                f"{engine} {database.get('NAME')} on {database.get('HOST') or 'localhost'}{port}"
            )
    except Exception as error:  # ImproperlyConfigured, a missing variable…
        return f"tashawur manage: settings {os.environ['DJANGO_SETTINGS_MODULE']} ({error})"
    lines = [
        f"tashawur manage: settings {os.environ['DJANGO_SETTINGS_MODULE']}, "
        f"TASHAWUR_ENV={env}, database {where}"
    ]
    if env != "demo":
        lines.append(
            "  (the demo's data: TASHAWUR_ENV=demo TASHAWUR_DATA_DIR=<the var/ folder where "
            "`make demo` ran> tashawur manage …)"
        )
    return "\n".join(lines)


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: tashawur COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"tashawur: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, func_name, _ = COMMANDS[name]
    func: Callable[[Sequence[str]], int | None] = getattr(
        importlib.import_module(module_name), func_name
    )
    return int(func(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
