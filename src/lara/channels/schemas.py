"""Validate InboundMessage JSON from the API, files and webhooks.

Pydantic gives each rejected message a precise reason ("author.external_id:
field required") instead of a 500 or a silent drop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .base import Author, InboundMessage

Kind = Literal["post", "comment", "reply", "direct", "review", "email", "chat"]


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(min_length=1, max_length=200)
    handle: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=300)
    followers: int | None = Field(default=None, ge=0)
    verified: bool = False
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)

    @field_validator("handle", "name", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value


class InboundMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: str = Field(min_length=1, max_length=50)
    external_id: str = Field(min_length=1, max_length=255)
    kind: Kind
    text: str = Field(max_length=100_000)
    created_at: datetime
    author: AuthorIn
    url: str = Field(default="", max_length=2000)
    in_reply_to: str | None = Field(default=None, max_length=255)
    thread_key: str | None = Field(default=None, max_length=255)
    public: bool = True
    raw: dict[str, Any] = Field(default_factory=dict)
    # "edit": the author changed the message with this external id (text is
    # the new version); "delete": it was removed (it stays stored, marked).
    event: Literal["message", "edit", "delete"] = "message"

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("created_at needs a time zone (e.g. 2026-11-20T09:14:00+00:00)")
        return value

    @field_validator("url", mode="before")
    @classmethod
    def _none_url(cls, value: Any) -> Any:
        return "" if value is None else value

    def to_message(self) -> InboundMessage:
        data = self.model_dump()
        author = Author(**data.pop("author"))
        return InboundMessage(author=author, **data)


def describe_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's error list into one readable line."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def inbound_parse(data: Any) -> InboundMessage:
    """Parse one JSON value into an InboundMessage or raise ValueError with the reason."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return InboundMessageIn.model_validate(data).to_message()
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from exc
