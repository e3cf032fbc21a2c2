"""The `lara` command: run the product, ingest files, analyze text, manage tokens.

`lara analyze` deliberately avoids Django so it works without a database;
every other command sets Django up first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
    import django

    django.setup()


def cmd_analyze(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Read {"id", "text"} JSON lines; write one analysis JSON line per input."""
    from lara.analysis.engine import Catalogue, get_analyzer

    languages = [c for c in (args.languages or "").split(",") if c] or None
    analyzer = get_analyzer(Catalogue.from_json(Path(args.catalogue)) if args.catalogue else None)
    status = 0
    batch: list[tuple[Any, str]] = []

    def flush() -> None:
        if not batch:
            return
        results = analyzer.analyze([text for _, text in batch], languages=languages)
        for (item_id, _), result in zip(batch, results, strict=True):
            stdout.write(json.dumps({"id": item_id, **result.as_dict()}, ensure_ascii=False) + "\n")
        batch.clear()

    for line_no, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a string "text"')
        except ValueError as exc:
            flush()
            stdout.write(json.dumps({"line": line_no, "error": str(exc)}) + "\n")
            status = 1
            continue
        batch.append((item.get("id"), item["text"]))
        if len(batch) >= 256:
            flush()
    flush()
    return status


def cmd_ingest(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Ingest InboundMessage JSON lines; report new / duplicate / rejected with reasons."""
    _django()
    from lara.mentions.services import Outcome, message_ingest_json

    counts = dict.fromkeys(Outcome, 0)
    rejected: list[str] = []
    source = stdin if args.file == "-" else Path(args.file).open(encoding="utf-8")  # noqa: SIM115
    with source:
        for line_no, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                counts[Outcome.REJECTED] += 1
                rejected.append(f"line {line_no}: invalid JSON: {exc}")
                continue
            result = message_ingest_json(data=data, default_channel=args.channel)
            counts[result.outcome] += 1
            if result.outcome is Outcome.REJECTED:
                rejected.append(f"line {line_no}: {result.reason}")
    stdout.write(
        f"{counts[Outcome.CREATED]} new, {counts[Outcome.DUPLICATE]} duplicate, "
        f"{counts[Outcome.REJECTED]} rejected\n"
    )
    for line in rejected:
        stdout.write(line + "\n")
    return 1 if rejected else 0


def cmd_token(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    _django()
    from django.contrib.auth import get_user_model

    from lara.core.services import api_token_create

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        sys.stderr.write(f"no user named {args.username!r}\n")
        return 2
    stdout.write(api_token_create(user=user, name=args.name) + "\n")
    return 0


def cmd_demo_stream(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    _django()
    import threading

    from lara.demo.seed import demo_seed
    from lara.demo.stream import demo_stream

    demo_seed()
    stop = threading.Event()
    try:
        sent = demo_stream(stop=stop, min_delay=args.min_delay, max_delay=args.max_delay, limit=args.count)
    except KeyboardInterrupt:
        return 0
    stdout.write(f"{sent} demo messages sent\n")
    return 0


def cmd_run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    _django()
    from lara.runner import serve

    return serve(host=args.host, port=args.port, demo=not args.no_demo, stdout=stdout)


def cmd_train(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Train the artifact (no Django: corrections come from an exported file) and write its card."""
    from lara.analysis.engine.corrections import CorrectionError
    from lara.analysis.engine.training import train_and_document

    corrections = Path(args.corrections) if args.corrections else None
    try:
        report = train_and_document(Path(args.data), Path(args.out), seed=args.seed, corrections=corrections)
    except (CorrectionError, FileNotFoundError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    stdout.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return 0


def cmd_export_corrections(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Write agents' label corrections as JSON lines for `lara train --corrections`."""
    _django()
    from lara.analysis.selectors import correction_export_rows

    rows = correction_export_rows()
    lines = "".join(json.dumps(row.as_dict(), ensure_ascii=False) + "\n" for row in rows)
    if args.file == "-":
        stdout.write(lines)
    else:
        Path(args.file).write_text(lines, encoding="utf-8")
    sys.stderr.write(f"{len(rows)} corrections exported\n")
    return 0


def cmd_eval(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Print the evaluation table: every task, dataset and language, peers side by side."""
    from lara.analysis.engine.evaluation import PEERS, evaluate, format_table, load_peers

    peers = load_peers()
    rows = evaluate(Path(args.data), seed=args.seed, peers=peers, speed=not args.no_speed)
    stdout.write(format_table(rows, PEERS) + "\n")
    missing = [name for name, p in peers if isinstance(p, str)]
    if missing:
        stdout.write(f"{', '.join(missing)} not installed: pip install 'lara[eval]' to fill their columns\n")
    if not rows:
        sys.stderr.write(f"no labelled corpus found under {args.data}\n")
        return 1
    return 0


def cmd_manage(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lara manage", *args.rest])
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lara", description="Lara, the open-source Social CRM.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the app with workers, scheduler and demo stream")
    run.add_argument("--host", default=os.environ.get("LARA_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("LARA_PORT", "8000")))
    run.add_argument("--no-demo", action="store_true", help="no demo organisation or stream")
    run.set_defaults(func=cmd_run)

    ingest = sub.add_parser("ingest", help="ingest InboundMessage JSON lines from FILE (- for stdin)")
    ingest.add_argument("file")
    ingest.add_argument("--channel", help="channel slug for lines that name none")
    ingest.set_defaults(func=cmd_ingest)

    analyze = sub.add_parser("analyze", help='analyze {"id", "text"} JSON lines from stdin')
    analyze.add_argument("--languages", help="restrict language detection, e.g. en,he,ru,uk")
    analyze.add_argument("--catalogue", help="products/brands/competitors JSON (default: the demo brand's)")
    analyze.set_defaults(func=cmd_analyze)

    demo = sub.add_parser("demo-stream", help="replay the demo messages with realistic timing")
    demo.add_argument("--count", type=int, default=None)
    demo.add_argument("--min-delay", type=float, default=2.0)
    demo.add_argument("--max-delay", type=float, default=7.0)
    demo.set_defaults(func=cmd_demo_stream)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token for USERNAME and print it")
    create.add_argument("username")
    create.add_argument("--name", default="cli")
    create.set_defaults(func=cmd_token)

    train = sub.add_parser("train", help="train the analyzer models from the labelled datasets")
    train.add_argument("--data", default=os.environ.get("LARA_DATA_DIR", "../shared/data"))
    train.add_argument("--out", default=str(Path(__file__).parent / "analysis" / "engine" / "artifacts"))
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--corrections", help="agents' corrections from `lara export-corrections` (JSON lines)"
    )
    train.set_defaults(func=cmd_train)

    export = sub.add_parser(
        "export-corrections", help="write agents' label corrections as JSON lines (for lara train)"
    )
    export.add_argument("file", nargs="?", default="-", help="output file (default: stdout)")
    export.set_defaults(func=cmd_export_corrections)

    evaluate = sub.add_parser(
        "eval", help="measure the analyzer on the labelled datasets, beside VADER and TextBlob"
    )
    evaluate.add_argument("--data", default=os.environ.get("LARA_DATA_DIR", "../shared/data"))
    evaluate.add_argument("--seed", type=int, default=0, help="the seed training used for its dev splits")
    evaluate.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    evaluate.set_defaults(func=cmd_eval)

    from lara.mentions.replay_cli import replay_command_add

    replay_command_add(sub)

    from lara.mentions.review_import_cli import import_reviews_command_add

    import_reviews_command_add(sub)

    manage = sub.add_parser("manage", help="run a Django management command (migrate, shell…)")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.func(args, sys.stdin, sys.stdout)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
