"""Cleaning values from Polytomic and the systems behind it.

- Invisible and bidirectional control characters are removed from every string: they
  can hide or reorder text a model reads (a "Trojan Source" style trick).
- Members whose names say they hold a secret are masked, whatever upstream did with them.
"""

from __future__ import annotations

import re
from typing import Any

# Zero-width characters, bidi embeddings/overrides/isolates, word joiners, BOM, soft hyphen,
# Mongolian vowel separator, and C0/C1 controls other than tab and newline.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"
)

SECRET_MEMBERS = frozenset(
    {
        "access_token",
        "api_key",
        "aws_secret_access_key",
        "client_key",
        "client_secret",
        "encryption_passphrase",
        "oauth_refresh_token",
        "password",
        "private_key",
        "private_key_passphrase",
        "refresh_token",
        "secret",
        "service_account",
        "ssh_private_key",
    }
)
MASK = "***"


def clean_text(text: str) -> str:
    return _INVISIBLE.sub("", text)


def is_secret_member(name: str) -> bool:
    return name.lower() in SECRET_MEMBERS


def sanitize(value: Any, mask_every_type: bool = False) -> Any:
    """A copy with invisible characters stripped and secret members masked.

    In API answers a secret member holding an object describes a secret field, so only string
    values are masked. Arguments the caller sent (`mask_every_type`, for the audit log) are
    masked whatever their type: a service account may arrive as a JSON object.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [sanitize(item, mask_every_type) for item in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = clean_text(str(key))
            masked = mask_every_type or isinstance(item, str)
            if is_secret_member(name) and masked and item not in ("", MASK, None):
                out[name] = MASK
            else:
                out[name] = sanitize(item, mask_every_type)
        return out
    return value
