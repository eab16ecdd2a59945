"""Cleaning values from Polytomic and the systems behind it.

- Invisible and bidirectional control characters are removed from every string: they
  can hide or reorder text a model reads (a "Trojan Source" style trick).
- Members whose names say they hold a secret are masked, whatever upstream did with them:
  the known names below, and any name with a secret word in it (`password`, `token`,
  `secret`, `api_key`, …) unless it names an id, a time or a paging cursor.
- Header and query parameters are masked as a whole: inside a member named `headers`,
  `header`, `query` or `query_params` that holds objects or lists (a webhook's
  `Authorization: Bearer …`, an API key passed as a query parameter), every value is masked
  and only the names are kept — unless the member is a JSON Schema node describing such
  parameters (`query: {"type": "string"}` in a schema), which holds no values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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

_SECRET_WORDS = re.compile(r"password|passphrase|secret|token|api_?key|private_?key|authorization|signature|credential")
# Names that carry a secret word but hold no secret: ids, times, kinds, paging cursors.
_NOT_SECRET = re.compile(r"(_id|_ids|_at|_expiry|_expires|_type|_method|_mode|_count)$|^(next_)?(page_token|cursor)$")
PAIR_CONTAINERS = frozenset({"headers", "header", "query", "query_params"})
# Members whose whole content is configuration or parameters: never quoted back in messages.
SENSITIVE_CONTAINERS = PAIR_CONTAINERS | {"configuration", "credentials", "params"}


def is_secret_name(name: str) -> bool:
    lower = name.lower()
    return lower in SECRET_MEMBERS or (bool(_SECRET_WORDS.search(lower)) and not _NOT_SECRET.search(lower))


def is_sensitive_path(parts: Iterable[object]) -> bool:
    """Whether a value at this path (member names, list indexes) might be a secret."""
    return any(isinstance(p, str) and (is_secret_name(p) or p.lower() in SENSITIVE_CONTAINERS) for p in parts)


def clean_text(text: str) -> str:
    return _INVISIBLE.sub("", text)


def clean_strings(value: Any) -> Any:
    """A copy with invisible characters stripped from every string and member name, nothing masked
    (for the server's own words, which hold no secrets)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_strings(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_strings(item) for key, item in value.items()}
    return value


JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
SCHEMA_WORDS = frozenset(
    {"type", "description", "title", "format", "enum", "items", "properties", "required", "default", "examples"}
    | {"additionalProperties", "anyOf", "oneOf", "allOf", "$ref", "minItems", "maxItems", "minLength", "maxLength"}
    | {"pattern", "readOnly", "writeOnly", "sensitive", "hidden", "nullable", "x-open-enum"}
)


def _describes_a_member(value: dict[str, Any]) -> bool:
    """A JSON Schema node (`{"type": "string", …}`): what a `headers` or `query` member of a
    schema holds. It describes values; it holds none, so it is not masked as header values are."""
    kind = value.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    typed = bool(kinds) and all(isinstance(k, str) and k in JSON_TYPES for k in kinds)
    return typed and all(key in SCHEMA_WORDS for key in value)


def sanitize(value: Any, mask_every_type: bool = False) -> Any:
    """A copy with invisible characters stripped and secret members masked.

    In API answers a secret member holding an object describes a secret field, so only string
    values are masked. Arguments the caller sent (`mask_every_type`, for the audit log) are
    masked whatever their type: a service account may arrive as a JSON object. Header and
    query parameters keep their names and lose their values.
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
            if is_secret_name(name) and masked and item not in ("", MASK, None):
                out[name] = MASK
            elif name.lower() in PAIR_CONTAINERS and isinstance(item, dict | list):
                schema_node = isinstance(item, dict) and _describes_a_member(item)
                out[name] = sanitize(item, mask_every_type) if schema_node else _masked_pairs(item)
            else:
                out[name] = sanitize(item, mask_every_type)
        return out
    return value


def _masked_pairs(value: Any) -> Any:
    """Header or query parameters: `{name, value}` pairs keep their names, everything else is masked."""
    if isinstance(value, str):
        return MASK if value else value
    if isinstance(value, list):
        return [_masked_pairs(item) for item in value]
    if isinstance(value, dict):
        if "value" in value:  # one {name, value} pair
            return {clean_text(str(k)): (_masked_pairs(v) if k == "value" else sanitize(v)) for k, v in value.items()}
        return {clean_text(str(k)): _masked_pairs(v) for k, v in value.items()}  # a name → value mapping
    return value
