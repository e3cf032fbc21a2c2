"""The `lara import-reviews` command: bring in reviews exported from any review site.

Kept beside the import service (not in ``lara.cli``) so the command's
wording and the service change together; ``lara.cli`` only registers it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Literal, TextIO


def cmd_import_reviews(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Import FILE into a review channel; print the counts, then each rejected row; 1 if any was rejected."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
    import django

    django.setup()
    from .review_import import reviews_import
    from .services import Outcome

    path = Path(args.file)
    fmt: Literal["csv", "json"] = "json" if path.suffix.lower() == ".json" else "csv"
    if args.format in ("csv", "json"):
        fmt = args.format
    try:
        results = reviews_import(channel_slug=args.channel, data=path.read_bytes(), format=fmt)
    except (OSError, ValueError) as exc:
        stdout.write(f"cannot import {path}: {exc}\n")
        return 2
    counts = {o: sum(1 for r in results if r.outcome is o) for o in Outcome}
    stdout.write(
        f"{counts[Outcome.CREATED]} new, {counts[Outcome.DUPLICATE]} duplicate, "
        f"{counts[Outcome.REJECTED]} rejected\n"
    )
    for result in results:
        if result.outcome is Outcome.REJECTED:
            stdout.write(f"row {result.row}: {result.reason}\n")
    return 1 if counts[Outcome.REJECTED] else 0


def import_reviews_command_add(sub: Any) -> None:
    """Register `lara import-reviews FILE --channel SLUG [--format csv|json]`."""
    command = sub.add_parser(
        "import-reviews", help="import a review site's CSV/JSON export into a review channel"
    )
    command.add_argument(
        "file", help="columns id, author, rating (1-5), text, date; optional url, title, site"
    )
    command.add_argument("--channel", required=True, help="the review channel's slug")
    command.add_argument("--format", choices=("csv", "json"), help="default: from the file's extension")
    command.set_defaults(func=cmd_import_reviews)
