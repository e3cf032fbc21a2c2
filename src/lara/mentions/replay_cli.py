"""The `lara replay` command: re-run dead letters after an adapter fix.

Kept beside the replay service (not in ``lara.cli``) so the command's
wording and the service change together; ``lara.cli`` only registers it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO


def cmd_replay(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Replay the waiting dead letters (of one channel, or one by id); 1 if any still fails."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
    import django

    django.setup()
    from .models import DeadLetter
    from .replay import dead_letter_replay, dead_letter_waiting

    letters = DeadLetter.objects.filter(pk=args.id) if args.id else dead_letter_waiting()
    if args.channel:
        letters = letters.filter(channel__slug=args.channel)
    rows = list(letters.select_related("channel").order_by("pk"))
    if args.id and not rows:
        stdout.write(
            f"no dead letter {args.id}" + (f" on channel {args.channel}" if args.channel else "") + "\n"
        )
        return 2
    failed = 0
    for dead in rows:
        result = dead_letter_replay(dead_letter_id=dead.pk)
        head = f"#{dead.pk} {dead.channel.slug} {dead.source}"
        if result.ok:
            stdout.write(f"{head}: {result.created} new, {result.duplicate} duplicate\n")
        else:
            failed += 1
            stdout.write(f"{head}: failed: {result.error}\n")
    stdout.write(f"{len(rows) - failed} replayed, {failed} failed\n")
    return 1 if failed else 0


def replay_command_add(sub: Any) -> None:
    """Register ``lara replay [--channel SLUG] [--id N]`` on the CLI's sub-parsers."""
    replay = sub.add_parser("replay", help="re-run dead-lettered deliveries and items after a fix")
    replay.add_argument("--channel", help="only this channel's dead letters (slug)")
    replay.add_argument("--id", type=int, help="only this dead letter, even if replayed before")
    replay.set_defaults(func=cmd_replay)
