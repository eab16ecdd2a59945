"""Pure rewrites of catalog JSON Schemas into what tool lists should carry.

Each function returns a new schema and leaves its input alone (the catalog is shared).
The rewrites keep meaning: they drop keywords that say nothing to a model or validator
(`x-open-enum`, `additionalProperties: true`), spell a union of string constants as one
`enum`, and share sub-schemas that repeat.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

JsonSchema = dict[str, Any]

_VENDOR_KEYS = ("x-open-enum",)


def simplify(schema: Any) -> Any:
    """Drop no-op keywords and collapse `anyOf` of string constants into an enum."""
    if isinstance(schema, list):
        return [simplify(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: JsonSchema = {}
    for key, value in schema.items():
        if key in _VENDOR_KEYS:
            continue
        if key == "additionalProperties" and value is True:
            continue  # the JSON Schema default; saying it costs tokens
        if key in ("properties", "$defs"):
            out[key] = {name: simplify(sub) for name, sub in value.items()}
        else:
            out[key] = simplify(value)
    if "anyOf" in out:
        out = _collapse_const_union(out)
    return out


def _collapse_const_union(schema: JsonSchema) -> JsonSchema:
    """`anyOf: [{const: a, type: string}, {const: b, type: string}, rest…]` → one enum branch."""
    branches = schema["anyOf"]
    consts = [b["const"] for b in branches if set(b) <= {"const", "type"} and "const" in b]
    if len(consts) < 2:
        return schema
    others = [b for b in branches if not (set(b) <= {"const", "type"} and "const" in b)]
    enum_branch = {"type": "string", "enum": consts}
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if not others:
        return {**rest, **enum_branch}
    return {**rest, "anyOf": [enum_branch, *others]}


def is_string_or_string_list(schema: JsonSchema) -> bool:
    """The catalog's `anyOf [string, array of string]` query parameter shape."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2:
        return False
    kinds = sorted(json.dumps(b, sort_keys=True) for b in branches)
    return kinds == sorted(
        [
            json.dumps({"type": "string"}),
            json.dumps({"items": {"type": "string"}, "type": "array"}, sort_keys=True),
        ]
    )


def merge_identical_defs(schema: JsonSchema) -> JsonSchema:
    """Point every reference to a duplicate definition at its first twin, and drop the duplicate.

    The catalog has, e.g., SyncField and OverrideFieldInput with identical bodies.
    """
    defs = schema.get("$defs")
    if not defs:
        return schema
    first: dict[str, str] = {}
    alias: dict[str, str] = {}
    for name, body in defs.items():
        text = json.dumps(body, sort_keys=True)
        if text in first:
            alias[name] = first[text]
        else:
            first[text] = name
    if not alias:
        return schema
    old_refs = {f"#/$defs/{old}": f"#/$defs/{new}" for old, new in alias.items()}

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        return {k: (old_refs.get(v, v) if k == "$ref" else rewrite(v)) for k, v in node.items()}

    rewritten: JsonSchema = rewrite({k: v for k, v in schema.items() if k != "$defs"})
    rewritten["$defs"] = {name: rewrite(body) for name, body in defs.items() if name not in alias}
    return rewritten


def hoist_repeats(schema: JsonSchema, min_chars: int = 160) -> JsonSchema:
    """Move sub-schemas that occur more than once (and are big) into `$defs`.

    The catalog repeats, e.g., the 29-value filter-function enum in four definitions;
    one shared definition referenced four times is much cheaper in a tool list.
    """
    counts: Counter[str] = Counter()
    first_key: dict[str, str] = {}
    _count_subschemas(schema, counts, first_key, key="", top=True)
    repeated = {text for text, n in counts.items() if n > 1 and len(text) >= min_chars and '"$ref"' not in text}
    if not repeated:
        return schema
    defs: dict[str, Any] = dict(schema.get("$defs", {}))
    names: dict[str, str] = {}
    for text in sorted(repeated, key=lambda t: (-len(t), t)):
        names[text] = _fresh_def_name(first_key.get(text, ""), defs)
        defs[names[text]] = json.loads(text)
    body = {k: v for k, v in schema.items() if k != "$defs"}
    rewritten = _replace_subschemas(body, names, top=True)
    rewritten_defs = {
        name: (sub if name in names.values() else _replace_subschemas(sub, names, top=True))
        for name, sub in defs.items()
    }
    return {**rewritten, "$defs": rewritten_defs}


def _count_subschemas(node: Any, counts: Counter[str], first_key: dict[str, str], key: str, top: bool) -> None:
    """Count every sub-schema by its canonical text, remembering the member name it first sat under."""
    if not isinstance(node, dict):
        return
    if not top:
        text = json.dumps(node, sort_keys=True)
        counts[text] += 1
        first_key.setdefault(text, key)
    for keyword, value in node.items():
        if keyword in ("properties", "$defs"):
            for name, sub in value.items():
                _count_subschemas(sub, counts, first_key, name, top=False)
        elif keyword in ("items", "additionalProperties") and isinstance(value, dict):
            _count_subschemas(value, counts, first_key, key, top=False)
        elif keyword in ("anyOf", "oneOf", "allOf"):
            for sub in value:
                _count_subschemas(sub, counts, first_key, key, top=False)


def _replace_subschemas(node: Any, names: dict[str, str], top: bool) -> Any:
    if not isinstance(node, dict):
        return node
    if not top:
        name = names.get(json.dumps(node, sort_keys=True))
        if name is not None:
            return {"$ref": f"#/$defs/{name}"}
    out: JsonSchema = {}
    for key, value in node.items():
        if key in ("properties", "$defs"):
            out[key] = {k: _replace_subschemas(v, names, top=False) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _replace_subschemas(value, names, top=False)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [_replace_subschemas(v, names, top=False) for v in value]
        else:
            out[key] = value
    return out


def _fresh_def_name(member: str, taken: dict[str, Any]) -> str:
    """`function` → `SharedFunction` (numbered if taken)."""
    base = "Shared" + "".join(part[:1].upper() + part[1:] for part in member.split("_") if part)
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def inline_refs(schema: JsonSchema) -> JsonSchema:
    """Replace every local `$ref` by a copy of its target and drop `$defs`.

    For clients that cannot resolve references. Recursive definitions are cut at the
    second visit with a plain `{"type": "object"}`.
    """
    defs = schema.get("$defs", {})

    def resolve(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [resolve(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in seen or name not in defs:
                return {"type": "object"}
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return {**resolve(copy.deepcopy(defs[name]), (*seen, name)), **siblings}
        return {k: resolve(v, seen) for k, v in node.items() if k != "$defs"}

    result: JsonSchema = resolve(schema, ())
    return result


def tidy_generated(schema: Any) -> Any:
    """Drop pydantic's titles, and spell `anyOf [X, null]` with a null default as plain X."""
    if isinstance(schema, list):
        return [tidy_generated(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: JsonSchema = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue  # pydantic's generated titles repeat the member name
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: tidy_generated(sub) for name, sub in value.items()}
        else:
            out[key] = tidy_generated(value)
    if out.get("additionalProperties") is True:
        del out["additionalProperties"]  # the JSON Schema default; saying it costs tokens
    branches = out.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        # Optional members may simply be left out; null adds nothing for the model.
        kept = [b for b in branches if b != {"type": "null"}]
        rest = {k: v for k, v in out.items() if k != "anyOf" and not (k == "default" and v is None)}
        out = {**kept[0], **rest} if len(kept) == 1 else {"anyOf": kept, **rest}
    return out


# Members every agent needs in full when creating or changing a sync or model, even when
# the catalog marks them optional.
ESSENTIAL_MEMBERS = frozenset({"fields", "identity", "schedule", "target", "configuration", "mode", "name", "active"})
BRIEF_NOTE = "Bare-typed members are nested shapes: see describe_operation."


def _is_complex(schema: Any) -> bool:
    """Whether a member's schema holds objects within objects (a filter list, overrides…)."""

    def objects_below(node: Any, depth: int) -> int:
        if isinstance(node, list):
            return max((objects_below(item, depth) for item in node), default=depth)
        if not isinstance(node, dict):
            return depth
        here = depth + 1 if "properties" in node else depth
        return max((objects_below(value, here) for value in node.values()), default=here)

    return objects_below(schema, 0) >= 2


def _bare(schema: JsonSchema) -> JsonSchema:
    kind = schema.get("type")
    return {"type": kind} if kind else {}


def brief_schema(schema: JsonSchema) -> tuple[JsonSchema, bool]:
    """A tool's listed schema: references inlined, and optional members with deeply nested
    shapes (that few calls use) cut to their bare type. Validation still uses the full
    schema. Returns the schema and whether anything was cut."""
    cut = False

    def walk(node: Any, top: bool) -> Any:
        nonlocal cut
        if isinstance(node, list):
            return [walk(item, top) for item in node]
        if not isinstance(node, dict):
            return node
        required = set(node.get("required", []))
        out: JsonSchema = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                members: JsonSchema = {}
                for name, member in value.items():
                    keep = name in required or (top and name in ESSENTIAL_MEMBERS) or "enum" in member
                    if keep or not _is_complex(member):
                        members[name] = walk(member, False)
                    else:
                        members[name] = _bare(member)
                        cut = True
                out[key] = members
            else:
                out[key] = walk(value, top and key == "items")
        return out

    return walk(inline_refs(schema), True), cut


def without_closed_objects(schema: Any) -> Any:
    """Drop `additionalProperties: false` from a listed schema. The server refuses unknown
    arguments itself (naming the closest valid one), so saying it on every object of every
    tool would only cost tokens on every tools/list."""
    if isinstance(schema, list):
        return [without_closed_objects(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: without_closed_objects(value)
        for key, value in schema.items()
        if not (key == "additionalProperties" and value is False)
    }
