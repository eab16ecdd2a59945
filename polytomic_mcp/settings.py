"""One settings object for the whole server: environment, command-line flags, and the
per-request HTTP headers that may narrow (never widen) what the operator configured.

Environment variables are read with pydantic-settings (prefix `POLYTOMIC_`); the CLI
passes flags in as overrides, so a flag always beats the environment.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from polytomic_mcp.catalog import load_catalog
from polytomic_mcp.errors import SettingsError

ACCESS_MODE_HEADER = "x-polytomic-access-mode"
AUTH_MODE_HEADER = "x-polytomic-auth-mode"
PARTNER_ORG_HEADER = "x-polytomic-partner-org-id"


class AccessMode(StrEnum):
    """What the server lets the model do. Enforced on every call, not just in listings."""

    READ_ONLY = "read-only"
    FULL_ACCESS = "full-access"

    def allows(self, read_only_operation: bool) -> bool:
        return self is AccessMode.FULL_ACCESS or read_only_operation

    def narrowed_by(self, requested: AccessMode | None) -> AccessMode:
        """The stricter of this mode and a requested one (a request can never widen)."""
        if requested is AccessMode.READ_ONLY:
            return AccessMode.READ_ONLY
        return self


AuthMode = Literal["bearer", "partner"]


def parse_access_mode(value: str, source: str) -> AccessMode:
    try:
        return AccessMode(value.strip().lower())
    except ValueError:
        raise SettingsError(f"{source} must be 'read-only' or 'full-access', got {value!r}") from None


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

    model_config = SettingsConfigDict(env_prefix="POLYTOMIC_", extra="ignore", frozen=True)

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
        description="read-only or full-access (default: read-only with a key, full-access in the sandbox).",
    )
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
    log_level: str = Field(default="WARNING", description="Server log level (stderr).")

    @field_validator("access_mode", mode="before")
    @classmethod
    def _access_mode(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_access_mode(value, "POLYTOMIC_ACCESS_MODE")
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

    def backend_label(self) -> str:
        return (
            f"sandbox (embedded, clock={self.sandbox_clock})" if self.sandbox else f"Polytomic API at {self.base_url}"
        )


@dataclass(frozen=True, slots=True)
class RequestScope:
    """What one MCP request may do and as whom."""

    credentials: Credentials | None
    access_mode: AccessMode


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def request_scope(settings: Settings, headers: Mapping[str, str] | None) -> RequestScope:
    """The credentials and access mode for one request.

    On stdio (no headers) this is the operator's configuration. Over HTTP the caller's
    bearer token is the Polytomic key for this request; the access-mode header may only
    narrow the operator's mode; the partner headers choose partner auth.
    """
    mode = settings.effective_access_mode
    server_credentials = settings.server_credentials()
    if headers is None:
        return RequestScope(server_credentials, mode)
    requested = headers.get(ACCESS_MODE_HEADER)
    if requested:  # fail closed: a value this server cannot read ('admin', a list) counts as read-only
        wanted = requested.strip().lower()
        mode = mode.narrowed_by(AccessMode.FULL_ACCESS if wanted == "full-access" else AccessMode.READ_ONLY)
    token = bearer_token(headers)
    if token is None:
        return RequestScope(server_credentials, mode)
    auth_mode_header = (headers.get(AUTH_MODE_HEADER) or "").strip().lower()
    if auth_mode_header and auth_mode_header not in ("bearer", "partner"):
        raise SettingsError(f"the X-Polytomic-Auth-Mode header must be 'bearer' or 'partner', got {auth_mode_header!r}")
    auth_mode: AuthMode = "partner" if (auth_mode_header or settings.auth_mode) == "partner" else "bearer"
    org = headers.get(PARTNER_ORG_HEADER) or settings.partner_org_id
    return RequestScope(Credentials(token, auth_mode, org), mode)
