from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tashawur.demo.loader import demo_load


class Command(BaseCommand):
    help = (
        "Load the Souss-Massa 2018 demo (reference data first). Idempotent: a second run "
        "changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir", type=Path, default=None, help="read the demo files from this folder"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        summary = demo_load(data_dir=options["data_dir"])
        self.stdout.write(f"{summary} in {time.perf_counter() - started:.1f} s")
