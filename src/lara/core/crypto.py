"""Encrypt secrets at rest (channel credentials) with a key derived from settings.

LARA_ENCRYPTION_KEY may be set to rotate it independently of the session
secret; otherwise the key is derived from SECRET_KEY so an install needs no
extra set-up.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from lara.settings import env


def _fernet() -> Fernet:
    material = env("LARA_ENCRYPTION_KEY") or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(b"lara-credentials:" + material.encode()).digest())
    return Fernet(key)


def encrypt_json(data: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode("utf-8")).decode("ascii")


def decrypt_json(token: str) -> dict[str, Any]:
    """Return the decrypted mapping; a wrong key raises ValueError, never leaks the text."""
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode("ascii"))))
    except InvalidToken as exc:
        raise ValueError("credentials cannot be decrypted with the configured key") from exc
