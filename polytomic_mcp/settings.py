"""One settings object for the whole server: environment, command-line flags, and the
per-request HTTP headers that may narrow (never widen) what the operator configured.

Environment variables are read with pydantic-settings (prefix `POLYTOMIC_`); the CLI
passes flags in as overrides, so a flag always beats the environment.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from polytomic_mcp.catalog import load_catalog
from polytomic_mcp.errors import SettingsError

ACCESS_MODE_HEADER = "x-polytomic-access-mode"
DENY_HEADER = "x-polytomic-deny"
SAFE_MODE_HEADER = "x-polytomic-safe-mode"
CONFIRM_HEADER = "x-polytomic-confirm-destructive"
AUTH_MODE_HEADER = "x-polytomic-auth-mode"
PARTNER_ORG_HEADER = "x-polytomic-partner-org-id"


class AccessMode(StrEnum):
    """What the server lets the model do, in rising order. Enforced on every call, not just in listings.

    read-only: reads only. read-write: also every write the catalog does not mark destructive
    (creates, partial updates, starting and activating). full-access: also destructive
    operations (deletes, full replacements, cancels), each confirmed by the user.
    """

    READ_ONLY = "read-only"
    READ_WRITE = "read-write"
    FULL_ACCESS = "full-access"

    @property
    def rank(self) -> int:
        return list(AccessMode).index(self)

    def allows(self, read_only_operation: bool, destructive: bool = False) -> bool:
        if read_only_operation:
            return True
        if destructive:
            return self is AccessMode.FULL_ACCESS
        return self is not AccessMode.READ_ONLY

    def narrowed_by(self, requested: AccessMode | None) -> AccessMode:
        """The stricter of this mode and a requested one (a request can never widen)."""
        if requested is not None and requested.rank < self.rank:
            return requested
        return self


AuthMode = Literal["bearer", "partner"]


def setting_flag(field: str) -> str:
    """The command-line flag of a Settings field (`max_tools` → `--max-tools`)."""
    return "--" + field.replace("_", "-")


def setting_env(field: str) -> str:
    """The environment variable of a Settings field (`max_tools` → `POLYTOMIC_MAX_TOOLS`)."""
    return "POLYTOMIC_" + field.upper()


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# What each setting accepts, in the words an error message uses ("expected …").
EXPECTED: dict[str, str] = {
    "api_key": "a Polytomic API key",
    "base_url": "an http:// or https:// URL with a host, e.g. https://app.polytomic.com (a bare host gets https://)",
    "api_version": "an API version date YYYY-MM-DD, e.g. 2025-09-18",
    "access_mode": "read-only, read-write or full-access",
    "deny": "a comma list of operation tool names, hand-written tool names or toolsets",
    "confirm_destructive": "always or never",
    "confirm_timeout": "a number of seconds greater than 0",
    "safe_mode": "off or session",
    "audit_log": "a file to append to (missing folders are created)",
    "toolsets": "default, all, or a comma list of toolsets (see `polytomic-mcp tools --help`)",
    "auth_mode": "bearer or partner",
    "partner_org_id": "a Polytomic organization id",
    "sandbox": "true or false (also 1/0, yes/no, on/off)",
    "timeout": "a number of seconds greater than 0",
    "max_retries": "a whole number from 0 to 10",
    "retry_budget": "a number of seconds greater than 0",
    "max_wait": "a number of seconds greater than 0",
    "max_tools": "a whole number, 0 or more (0 = no cap)",
    "poll_interval": "a number of seconds greater than 0",
    "result_tokens": "a whole number of tokens, 500 or more",
    "client_profile": "auto, standard, inline or gemini",
    "allowed_hosts": "a comma list of host names, each optionally with :port or :* (e.g. mcp.example.com:*)",
    "allowed_origins": "a comma list of origins scheme://host[:port|:*] (e.g. https://app.example.com)",
    "sandbox_clock": "real or step",
    "sandbox_seed": "a readable JSON or YAML seed file",
    "sandbox_db": "a SQLite file, or a new file in an existing folder",
    "deterministic": "true or false (also 1/0, yes/no, on/off)",
    "log_level": "one of " + ", ".join(LOG_LEVELS),
}


def invalid_setting(
    field: str, got: object, source: str | None = None, expected: str | None = None, problem: str | None = None
) -> SettingsError:
    """One line naming the flag, the environment variable, what was expected and what was got.

    `source` says where the value came from (the flag or the variable) when that is known;
    `problem` says what is wrong with it when the expectation alone does not.
    """
    shown = "nothing" if got is None or got == "" else repr(got if isinstance(got, str) else str(got))
    origin = f" (from {source})" if source else ""
    why = f": {problem}" if problem else ""
    return SettingsError(
        f"invalid setting {setting_flag(field)} / {setting_env(field)}: "
        f"expected {expected or EXPECTED.get(field, 'a valid value')}, got {shown}{origin}{why}"
    )


def settings_error(error: ValidationError, from_flags: Collection[str] = ()) -> SettingsError:
    """A pydantic validation error as one readable line per setting (no internal names, no URLs)."""
    lines = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        source = setting_flag(field) if field in from_flags else setting_env(field)
        got: Any = "<hidden>" if field == "api_key" else item.get("input")
        lines.append(str(invalid_setting(field, got, source)))
    return SettingsError("\n".join(lines))


def parse_access_mode(value: str, source: str) -> AccessMode:
    try:
        return AccessMode(value.strip().lower())
    except ValueError:
        raise SettingsError(f"{source} must be 'read-only', 'read-write' or 'full-access', got {value!r}") from None


@dataclass(frozen=True, slots=True)
class Credentials:
    """A Polytomic key and how to present it. repr() never shows the key."""

    api_key: str
    auth_mode: AuthMode = "bearer"
    partner_org_id: str | None = None

    def authorization(self) -> str:
        """The Authorization header value: `Bearer <key>`, or for partner keys
        `Basic base64(<organization id>:<key>)`."""
        if self.auth_mode == "partner":
            if not self.partner_org_id:
                raise SettingsError(
                    "partner auth needs an organization id: set POLYTOMIC_PARTNER_ORG_ID, "
                    "--partner-org-id, or the X-Polytomic-Partner-Org-Id header"
                )
            token = base64.b64encode(f"{self.partner_org_id}:{self.api_key}".encode()).decode()
            return f"Basic {token}"
        return f"Bearer {self.api_key}"

    def __repr__(self) -> str:
        org = f", partner_org_id={self.partner_org_id!r}" if self.partner_org_id else ""
        return f"Credentials(api_key='***', auth_mode={self.auth_mode!r}{org})"


class Settings(BaseSettings):
    """Server settings. Every field is also a `POLYTOMIC_<NAME>` environment variable."""

    # An empty variable counts as unset (a client that fills optional settings with "" gets the defaults).
    model_config = SettingsConfigDict(env_prefix="POLYTOMIC_", extra="ignore", frozen=True, env_ignore_empty=True)

    api_key: SecretStr | None = Field(default=None, description="Polytomic API key (stdio).")
    # The catalog holds the API's public base URL and the version it describes.
    base_url: str = Field(
        default_factory=lambda: load_catalog().default_base_url, description="API base URL (self-hosted Polytomic)."
    )
    api_version: str = Field(
        default_factory=lambda: load_catalog().default_api_version, description="X-Polytomic-Version header."
    )
    access_mode: AccessMode | None = Field(
        default=None,
        description="read-only, read-write or full-access (default: read-only with a key, full-access in the sandbox).",
    )
    deny: str = Field(default="", description="Operations, tools or toolsets never listed or run (comma list).")
    confirm_destructive: Literal["always", "never"] = Field(
        default="always", description="Ask the user (MCP elicitation) before every destructive operation."
    )
    confirm_timeout: float = Field(default=120.0, gt=0, description="Seconds the user has to answer a confirmation.")
    safe_mode: Literal["off", "session"] = Field(
        default="off", description="session: update or delete only objects created in the same MCP session."
    )
    audit_log: str | None = Field(default=None, description="File to append one JSON line per write to.")
    toolsets: str = Field(default="default", description="Toolsets to list: default, all, or a comma list.")
    auth_mode: AuthMode = Field(default="bearer", description="bearer, or partner (Basic org_id:key).")
    partner_org_id: str | None = Field(default=None, description="Organization to act in with a partner key.")
    sandbox: bool = Field(default=False, description="Run the embedded sandbox and use it as the backend.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds allowed for one HTTP attempt.")
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries of a failed request.")
    retry_budget: float = Field(default=45.0, gt=0, description="Seconds one API call may take with retries.")
    max_wait: float = Field(default=55.0, gt=0, description="Upper bound on any waiting tool, in seconds.")
    max_tools: int = Field(
        default=128,
        ge=0,
        description="Most tools to list (clients built on the OpenAI API reject more than 128); 0 = no cap.",
    )
    poll_interval: float = Field(default=1.0, gt=0, description="Seconds between the first polls of a waiting tool.")
    result_tokens: int = Field(default=6000, ge=500, description="Size budget of one tool result, in tokens.")
    client_profile: Literal["auto", "standard", "inline", "gemini"] = Field(
        default="auto", description="Tool-schema profile: auto (from clientInfo), standard, inline or gemini."
    )
    allowed_hosts: str = Field(default="", description="HTTP mode: extra allowed Host values (comma list).")
    allowed_origins: str = Field(default="", description="HTTP mode: allowed Origin values (comma list).")
    sandbox_clock: Literal["real", "step"] = Field(default="real", description="Sandbox clock mode.")
    sandbox_seed: str | None = Field(default=None, description="Sandbox seed file (JSON or YAML).")
    sandbox_db: str | None = Field(default=None, description="Sandbox SQLite file (default: in memory).")
    deterministic: bool = Field(
        default=False, description="Evaluations only: fence nonces and waited_s derived from the call, not random."
    )
    log_level: str = Field(default="WARNING", description="Server log level (stderr).")

    @field_validator("access_mode", mode="before")
    @classmethod
    def _access_mode(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_access_mode(value, "POLYTOMIC_ACCESS_MODE")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        text = value.strip()
        parts = urlsplit(text if "://" in text else f"https://{text}")
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
            raise ValueError("not an http(s) URL")
        return value

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError("not a YYYY-MM-DD date")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError("unknown log level")
        return value.strip().upper()

    @field_validator("allowed_hosts")
    @classmethod
    def _allowed_hosts(cls, value: str) -> str:
        for item in comma_items(value):
            host = item[:-2] if item.endswith(":*") else item
            if "://" in item or "/" in item or not urlsplit(f"//{host}").hostname:
                raise ValueError("not a host name")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _allowed_origins(cls, value: str) -> str:
        for item in comma_items(value):
            origin = item[:-2] if item.endswith(":*") else item
            parts = urlsplit(origin)
            if not parts.scheme or not parts.hostname or parts.path not in ("", "/"):
                raise ValueError("not an origin")
        return value

    @property
    def effective_access_mode(self) -> AccessMode:
        if self.access_mode is not None:
            return self.access_mode
        return AccessMode.FULL_ACCESS if self.sandbox else AccessMode.READ_ONLY

    def server_credentials(self) -> Credentials | None:
        if self.api_key is None or not self.api_key.get_secret_value():
            return None
        return Credentials(self.api_key.get_secret_value(), self.auth_mode, self.partner_org_id)


def comma_items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True, slots=True)
class RequestScope:
    """What one MCP request may do and as whom. The guard settings are the operator's, narrowed by headers."""

    credentials: Credentials | None
    access_mode: AccessMode
    denied: tuple[str, ...] = ()
    safe_mode: bool = False
    confirm_destructive: bool = True


def split_names(value: str) -> tuple[str, ...]:
    """A comma list as its non-empty, stripped items."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def parse_switch(value: str, off: str, on: str, source: str) -> bool:
    """A two-valued header: True for `on`, False for `off`, SettingsError otherwise."""
    cleaned = value.strip().lower()
    if cleaned not in (off, on):
        raise SettingsError(f"{source} must be {off!r} or {on!r}, got {value!r}")
    return cleaned == on


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def request_scope(settings: Settings, headers: Mapping[str, str] | None) -> RequestScope:
    """The credentials and access mode for one request.

    On stdio (no headers) this is the operator's configuration. Over HTTP the caller's
    bearer token is the Polytomic key for this request; the access-mode, deny, safe-mode and
    confirm-destructive headers may only narrow the operator's settings; the partner headers
    choose partner auth.
    """
    mode = settings.effective_access_mode
    server_credentials = settings.server_credentials()
    denied = split_names(settings.deny)
    safe_mode = settings.safe_mode == "session"
    confirm = settings.confirm_destructive == "always"
    if headers is None:
        return RequestScope(server_credentials, mode, denied, safe_mode, confirm)
    requested = headers.get(ACCESS_MODE_HEADER)
    if requested:  # fail closed: a value this server cannot read ('admin', a list) counts as read-only
        try:
            mode = mode.narrowed_by(parse_access_mode(requested, "the X-Polytomic-Access-Mode header"))
        except SettingsError:
            mode = AccessMode.READ_ONLY
    # Headers add to the operator's deny list and may turn safe mode and confirmation on, never off.
    denied += split_names(headers.get(DENY_HEADER) or "")
    if requested_safe_mode := headers.get(SAFE_MODE_HEADER):
        asked = parse_switch(requested_safe_mode, "off", "session", "the X-Polytomic-Safe-Mode header")
        safe_mode = safe_mode or asked
    if requested_confirm := headers.get(CONFIRM_HEADER):
        asked = parse_switch(requested_confirm, "never", "always", "the X-Polytomic-Confirm-Destructive header")
        confirm = confirm or asked
    token = bearer_token(headers)
    if token is None:
        return RequestScope(server_credentials, mode, denied, safe_mode, confirm)
    auth_mode_header = (headers.get(AUTH_MODE_HEADER) or "").strip().lower()
    if auth_mode_header and auth_mode_header not in ("bearer", "partner"):
        raise SettingsError(f"the X-Polytomic-Auth-Mode header must be 'bearer' or 'partner', got {auth_mode_header!r}")
    auth_mode: AuthMode = "partner" if (auth_mode_header or settings.auth_mode) == "partner" else "bearer"
    org = headers.get(PARTNER_ORG_HEADER) or settings.partner_org_id
    return RequestScope(Credentials(token, auth_mode, org), mode, denied, safe_mode, confirm)
