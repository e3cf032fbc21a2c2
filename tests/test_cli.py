"""The `lara` command: ingest files twice, reject bad lines by number, analyze without a database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lara.cli import main
from lara.mentions.models import Message

from .factories import inbound


def _run(argv: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(stdin), out
    try:
        code = main(argv)
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    return code, out.getvalue()


@pytest.mark.django_db
def test_ingesting_a_file_twice_adds_nothing_the_second_time(org: dict[str, Any], tmp_path: Path) -> None:
    lines = [json.dumps(inbound(external_id=f"f{i}")) for i in range(3)]
    lines.insert(1, "{not json")
    lines.insert(3, json.dumps(inbound(kind="tweet")))
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    first_code, first = _run(["ingest", str(path)])
    second_code, second = _run(["ingest", str(path)])

    assert first.splitlines()[0] == "3 new, 0 duplicate, 2 rejected"
    assert first.splitlines()[1].startswith("line 2: invalid JSON: ")
    assert first.splitlines()[2].startswith("line 4: kind: Input should be")
    assert second.splitlines()[0] == "0 new, 3 duplicate, 2 rejected"
    assert (first_code, second_code) == (1, 1)
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_token_create_prints_a_working_token(org: dict[str, Any]) -> None:
    code, out = _run(["token", "create", "lena"])

    from django.test import Client

    assert code == 0
    token = out.strip()
    assert Client(headers={"authorization": f"Bearer {token}"}).get("/api/cases").status_code == 200


def test_analyze_needs_no_database(tmp_path: Path) -> None:
    """Run the real command in a fresh process with a database path that cannot exist."""
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "LARA_VAR_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "lara.cli", "analyze"],
        input='{"id": 1, "text": "Where can I buy the new model?"}\nnot json\n',
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert proc.returncode == 1
    assert first["id"] == 1
    assert {"language", "sentiment", "sentiment_score", "type", "purchase_intent", "model_version"} <= set(
        first
    )
    assert (first["entities"], first["reasons"]) == ([], ["purchase cue: where can i buy"])
    assert (first["language"], first["type"], first["purchase_intent"]) == ("en", "question", True)
    assert second == {"line": 2, "error": "Expecting value: line 1 column 1 (char 0)"}
