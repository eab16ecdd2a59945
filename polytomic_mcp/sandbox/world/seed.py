"""Seeds: JSON or YAML documents describing buckets with files and Salesforce orgs with records.

buckets:
  - name: sandbox-exports
    files:
      - {key: users.csv, path: users.csv}     # read from a path relative to the seed file
      - {key: tiny.csv, content: "a,b\\n1,2\\n"}
salesforce:
  - domain: acme.my.salesforce.com
    user: integration@acme.example.com
    objects:
      - name: Contact                          # standard objects need no field list
        records: [{Email: a@example.com, LastName: A}]
      - name: Invoice__c
        fields: [{id: Number__c, type: string, identity: true}, {id: Amount__c, type: currency}]
connections: [...]                              # pre-created objects: see http/seed_objects.py
models: [...]
syncs: [...]
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from polytomic_mcp.sandbox.errors import ApiError, bad_request
from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world import files, records, salesforce
from polytomic_mcp.sandbox.world.standard_objects import STANDARD_OBJECTS

SeedSource = str | Path | dict[str, Any] | None
# Sections of pre-created API objects: checked for shape here, created through the handlers.
OBJECT_SECTIONS = ("connections", "models", "syncs")


def parse_text(text: str) -> dict[str, Any]:
    """A seed from JSON or YAML text (YAML is a superset, but JSON errors read better)."""
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise bad_request(f"seed is neither JSON nor YAML: {exc}") from None
    if not isinstance(document, dict):
        raise bad_request("a seed is a mapping with 'buckets' and/or 'salesforce'")
    return document


def resolve(source: SeedSource) -> tuple[dict[str, Any], Path | None]:
    """The seed document and the folder its relative file paths start from."""
    if source is None:
        folder = resources.files("polytomic_mcp.sandbox.seeds")
        text = folder.joinpath("default.yaml").read_text(encoding="utf-8")
        return parse_text(text), Path(str(folder))
    if isinstance(source, dict):
        return source, None
    path = Path(source)
    return parse_text(path.read_text(encoding="utf-8")), path.parent


def apply(store: Store, tenant: str, document: dict[str, Any], base: Path | None) -> dict[str, int]:
    """Load a seed into one tenant's world; returns what was added."""
    unknown = set(document) - {"buckets", "salesforce", *OBJECT_SECTIONS}
    if unknown:
        expected = ", ".join(("buckets", "salesforce", *OBJECT_SECTIONS))
        raise bad_request(f"unknown seed section {sorted(unknown)[0]!r}; expected {expected}")
    for section in OBJECT_SECTIONS:
        _list(document.get(section), section)  # created by the app (http/seed_objects.py) once the world is in
    added = {"buckets": 0, "files": 0, "orgs": 0, "objects": 0, "records": 0}
    for bucket in _list(document.get("buckets"), "buckets"):
        name = str(bucket.get("name") or "")
        if not name:
            raise bad_request("every bucket needs a name", "buckets")
        files.declare_bucket(store, tenant, name)
        added["buckets"] += 1
        for entry in _list(bucket.get("files"), "files"):
            key = str(entry.get("key") or "")
            files.put_file(store, tenant, name, key, content=_file_content(entry, base))
            added["files"] += 1
    for org in _list(document.get("salesforce"), "salesforce"):
        if not org.get("domain"):
            raise bad_request("every Salesforce org needs a domain", "salesforce")
        try:
            domain = salesforce.normalize_domain(str(org["domain"]))
        except ValueError as exc:
            raise bad_request(f"seed org domain: {exc}", "salesforce") from None
        salesforce.declare_org(store, tenant, domain)
        store.set_meta(f"tenant:{tenant}:sfuser:{domain}", str(org.get("user") or f"integration@{domain}"))
        added["orgs"] += 1
        for raw in _list(org.get("objects"), "objects"):
            definition = _object_definition(raw)
            obj = salesforce.ensure_object(store, tenant, domain, definition)
            added["objects"] += 1
            added["records"] += records.insert_records(store, obj, _list(raw.get("records"), "records"))
    return added


def _list(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_request(f"seed {what} must be a list of mappings", what)
    return value


def _file_content(entry: dict[str, Any], base: Path | None) -> bytes:
    if "content" in entry:
        return str(entry["content"]).encode()
    if "path" in entry:
        path = Path(str(entry["path"]))
        if not path.is_absolute():
            if base is None:
                raise bad_request("relative file paths need a seed loaded from a file", "path")
            path = base / path
        try:
            return path.read_bytes()
        except OSError:
            raise bad_request(f"seed file {entry['path']!r} cannot be read", "path") from None
    raise bad_request("a seed file needs 'content' or 'path'", "files")


def _object_definition(raw: dict[str, Any]) -> salesforce.ObjectDef:
    name = str(raw.get("name") or "")
    standard = STANDARD_OBJECTS.get(name)
    merged: dict[str, Any] = dict(standard) if standard else {"name": name}
    extra_fields = raw.get("fields") or []
    if extra_fields:
        known = {f["id"] for f in merged.get("fields", [])}
        merged["fields"] = list(merged.get("fields", [])) + [
            f for f in extra_fields if (f.get("id") or f.get("name")) not in known
        ]
    for key in ("label", "id_prefix"):
        if key in raw:
            merged[key] = raw[key]
    return salesforce.ObjectDef.from_json(merged)


def problem(path: str) -> str | None:
    """What keeps a seed file from loading, or None. The file is loaded into a scratch
    in-memory store with the same loader tenants use, so every problem the first tenant would
    hit (a bad document, an unknown section, a file it names that is missing) shows here."""
    if not Path(path).is_file():
        return "no such file" if not Path(path).exists() else "not a file"
    try:
        document, base = resolve(path)
        scratch = Store(None)
        try:
            apply(scratch, "seed-check", document, base)
        finally:
            scratch.close()
    except ApiError as bad:
        return bad.message
    except (OSError, UnicodeDecodeError) as unreadable:
        return f"cannot be read ({unreadable})"
    except (ValueError, TypeError, KeyError, AttributeError) as bad_content:
        return f"not a valid seed ({bad_content})"
    return None
