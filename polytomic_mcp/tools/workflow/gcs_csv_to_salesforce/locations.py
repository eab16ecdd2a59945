"""One spelling for a Salesforce domain and a GCS bucket, whatever form the user gave.

People paste `https://Acme.my.salesforce.com/lightning/page` or `gs://exports/contacts/`;
Polytomic's own guide uses `https://…` and `gcs://bucket/path`. The composite compares and
names connections by these normal forms, so the same org or bucket is found again however it
was written (existing connections' stored values are normalised the same way before comparing).

Salesforce domain: trim; an `http://` or `https://` scheme (any case) is dropped, any other
is refused; cut at the first `/`, `?` or `#`; drop a `:port` and trailing dots; lower-case.
What is left must be a host name.

Bucket: trim; a `gs://` or `gcs://` scheme (any case) is dropped, any other is refused; empty
segments vanish; the first segment is the bucket name (letters, digits, `.`, `_`, `-`), the
rest its folder (case kept; `.` and `..` refused). The normal form is `bucket` or
`bucket/folder`.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_BUCKET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_HOST = 253


class LocationError(ValueError):
    """A domain or bucket that names no place; the message says what was expected."""


def _without_scheme(text: str, allowed: tuple[str, ...], example: str) -> str:
    match = _SCHEME.match(text)
    if match is None:
        return text
    if match.group(1).lower() not in allowed:
        raise LocationError(f"takes {' or '.join(s + '://' for s in allowed)} or no scheme (e.g. {example})")
    return text[match.end() :]


def salesforce_host(domain: str) -> str:
    """`https://Acme.my.salesforce.com/path` → `acme.my.salesforce.com`."""
    text = _without_scheme(domain.strip(), ("http", "https"), "acme.my.salesforce.com")
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = re.sub(r":\d+$", "", host).rstrip(".").lower()
    labels = host.split(".")
    if not host or len(host) > MAX_HOST or "@" in host or not all(_HOST_LABEL.match(label) for label in labels):
        raise LocationError("must be a Salesforce login host such as acme.my.salesforce.com")
    return host


def bucket_location(bucket: str) -> str:
    """`gcs://exports//contacts/` → `exports/contacts`."""
    text = _without_scheme(bucket.strip(), ("gs", "gcs"), "exports or gs://exports/folder")
    segments = [segment for segment in text.split("/") if segment]
    if not segments or not _BUCKET_NAME.match(segments[0]):
        raise LocationError("must be a bucket name (letters, digits, '.', '_', '-'), optionally with /folder")
    if any(segment in (".", "..") for segment in segments[1:]):
        raise LocationError("a folder may not contain '.' or '..' segments")
    return "/".join(segments)


def same_salesforce_org(stored: object, host: str) -> bool:
    try:
        return isinstance(stored, str) and salesforce_host(stored) == host
    except LocationError:
        return False


def same_bucket(stored: object, location: str) -> bool:
    try:
        return isinstance(stored, str) and bucket_location(stored) == location
    except LocationError:
        return False
