"""Read a review export (CSV or JSON) from any site into validated rows, row by row.

Pure parsing: no database. Each row is validated on its own, so one bad
row (a rating of 7, a missing date) is reported with its number and reason
while the others go through. Row numbers are what a person sees: the
spreadsheet row for CSV (the header is row 1), the 1-based position in
the array for JSON.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lara.channels.base import InboundMessage

from .common import review_message

REQUIRED = ("id", "author", "rating", "text", "date")


class ReviewRow(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=300)
    rating: int = Field(ge=1, le=5)
    text: str
    date: datetime
    url: str = ""
    title: str = ""
    site: str = ""

    @field_validator("date", mode="before")
    @classmethod
    def _whole_days(cls, value: Any) -> Any:
        """Accept a bare date (2024-11-18) as midnight UTC, and naive times as UTC."""
        if isinstance(value, str) and len(value.strip()) == 10:
            return datetime.combine(date.fromisoformat(value.strip()), time(), tzinfo=UTC)
        return value

    @field_validator("date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @field_validator("url")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors())


def rows_parse(data: bytes, fmt: Literal["csv", "json"]) -> list[tuple[int, ReviewRow | str]]:
    """(row number, row or reason) for every row; a file that cannot be read at all is a ValueError."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is not UTF-8 text: {exc}") from exc
    items: list[tuple[int, Any]]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(content))
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"the CSV header lacks the column(s) {', '.join(missing)} (needs {', '.join(REQUIRED)})"
            )
        items = list(enumerate(reader, start=2))  # the header is row 1
    else:
        try:
            loaded = json.loads(content)
        except ValueError as exc:
            raise ValueError(f"the file is not JSON: {exc}") from exc
        if isinstance(loaded, dict) and isinstance(loaded.get("reviews"), list):
            loaded = loaded["reviews"]
        if not isinstance(loaded, list):
            raise ValueError('the JSON must be an array of reviews (or {"reviews": [...]})')
        items = list(enumerate(loaded, start=1))
    parsed: list[tuple[int, ReviewRow | str]] = []
    for number, item in items:
        if not isinstance(item, dict):
            parsed.append((number, "not an object with the review's fields"))
            continue
        cells = {k: v for k, v in item.items() if k is not None and v not in (None, "")}
        if "text" in item and "text" not in cells:  # a rating-only review: the column is there, empty
            cells["text"] = ""
        try:
            parsed.append((number, ReviewRow.model_validate(cells)))
        except ValidationError as exc:
            parsed.append((number, _reason(exc)))
    return parsed


def row_to_message(channel: str, row: ReviewRow) -> InboundMessage:
    """A row as a review message; the site (when given) is part of the id, so two sites never collide."""
    return review_message(
        channel=channel,
        external_id=f"{row.site}:{row.id}" if row.site else row.id,
        rating=row.rating,
        text=row.text,
        title=row.title,
        created_at=row.date,
        author_id=row.author,
        author_name=row.author,
        url=row.url,
        site=row.site or "import",
    )
