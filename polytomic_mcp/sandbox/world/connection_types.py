"""Connection types the sandbox offers: configuration JSON Schemas, capabilities, OAuth use.

Configuration keys are Polytomic's own (as its terraform provider's generated schemas name
them). ``sensitive: true`` marks members that are write-only: they are accepted, kept, and
masked on every read.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConnectionType:
    id: str
    name: str
    source: bool
    destination: bool
    use_oauth: bool
    schema: dict[str, Any]
    enrichment: bool = False

    @property
    def sensitive(self) -> frozenset[str]:
        return frozenset(k for k, v in self.schema.get("properties", {}).items() if v.get("sensitive"))

    @property
    def read_only(self) -> frozenset[str]:
        return frozenset(k for k, v in self.schema.get("properties", {}).items() if v.get("readOnly"))

    def logo_svg(self) -> str:
        """A plain badge with the type's initials (the sandbox has no vendor artwork)."""
        initials = "".join(word[0] for word in self.name.split())[:3].upper()
        hue = sum(map(ord, self.id)) * 47 % 360
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
            f"<title>{html.escape(self.name)}</title>"
            f'<rect width="64" height="64" rx="12" fill="hsl({hue}, 55%, 42%)"/>'
            '<text x="32" y="41" font-family="sans-serif" font-size="22" font-weight="bold" '
            f'text-anchor="middle" fill="#fff">{html.escape(initials)}</text></svg>'
        )

    def listing(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "logo_url": f"{base_url}/sandbox/logos/{self.id}.svg",
            "capabilities": {
                "source": self.source,
                "destination": self.destination,
                "enrichment": self.enrichment,
                "logging": False,
                "orchestration": False,
            },
            "use_oauth": self.use_oauth,
            "configurationForm": {"jsonschema": self.schema, "uischema": {}},
            "initialConfiguration": {
                k: v["default"] for k, v in self.schema.get("properties", {}).items() if "default" in v
            },
        }

    def summary(self, base_url: str) -> dict[str, Any]:
        operations = [op for op, ok in (("source", self.source), ("destination", self.destination)) if ok]
        return {
            "id": self.id,
            "name": self.name,
            "logo_url": f"{base_url}/sandbox/logos/{self.id}.svg",
            "operations": operations,
        }


def _schema(title: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "required": required,
        "properties": properties,
    }


def _text(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, **extra}


def _secret(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "sensitive": True, **extra}


def _flag(title: str, default: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "boolean", "title": title}
    if default is not None:
        out["default"] = default
    return out


def _choice(title: str, values: list[str], default: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "title": title, "enum": values}
    if default is not None:
        out["default"] = default
    return out


_FILE_OPTIONS: dict[str, Any] = {
    "csv_has_headers": _flag("CSV files have headers", True),
    "is_single_table": _flag("Treat all files as one table"),
    "is_directory_snapshot": _flag("Directory snapshot"),
    "directory_glob_pattern": _text("Directory glob pattern"),
    "single_table_name": _text("Single table name"),
    "single_table_file_format": _choice("Single table file format", ["csv", "json", "parquet"]),
    "single_table_file_formats": {"type": "array", "items": {"type": "string"}},
    "skip_lines": {"type": "integer", "title": "Lines to skip", "minimum": 0},
}

TYPES: dict[str, ConnectionType] = {
    t.id: t
    for t in (
        ConnectionType(
            "gcs",
            "Google Cloud Storage",
            source=True,
            destination=True,
            use_oauth=False,
            schema=_schema(
                "Google Cloud Storage",
                ["service_account", "bucket"],
                {
                    "service_account": _secret("Service account key (JSON)"),
                    "bucket": _text("Bucket"),
                    **_FILE_OPTIONS,
                    "project_id": _text("Project", readOnly=True),
                    "client_email": _text("Client email", readOnly=True),
                },
            ),
        ),
        ConnectionType(
            "s3",
            "Amazon S3",
            source=True,
            destination=True,
            use_oauth=False,
            schema=_schema(
                "Amazon S3",
                ["auth_mode", "s3_bucket_name", "s3_bucket_region"],
                {
                    "auth_mode": _choice(
                        "Authentication", ["access_key_and_secret", "iam_role"], "access_key_and_secret"
                    ),
                    "aws_access_key_id": _text("Access key ID"),
                    "aws_secret_access_key": _secret("Secret access key"),
                    "iam_role_arn": _text("IAM role ARN"),
                    "s3_bucket_name": _text("Bucket"),
                    "s3_bucket_region": _text("Region"),
                    "enable_event_notifications": _flag("Event notifications"),
                    "event_queue_arn": _text("Event queue ARN"),
                    **_FILE_OPTIONS,
                    "aws_user": _text("AWS user", readOnly=True),
                    "external_id": _text("External ID", readOnly=True),
                },
            ),
        ),
        ConnectionType(
            "salesforce",
            "Salesforce",
            source=True,
            destination=True,
            use_oauth=True,
            enrichment=False,
            schema=_schema(
                "Salesforce",
                ["domain"],
                {
                    "domain": _text("Login domain", examples=["acme.my.salesforce.com"]),
                    "connect_mode": _choice("Connect with", ["browser", "code", "clientcredentials", "api"], "browser"),
                    "client_id": _secret("Client ID"),
                    "client_secret": _secret("Client secret"),
                    "oauth_refresh_token": _secret("OAuth refresh token", hidden=True),
                    "enforce_api_limits": _flag("Enforce API limits"),
                    "daily_api_calls": {"type": "integer", "title": "Daily API call budget"},
                    "enable_tooling": _flag("Enable tooling API"),
                    "enable_multicurrency_lookup": _flag("Multi-currency lookups"),
                    "username": _text("Connected user", readOnly=True),
                    "instance_url_override": _text("Instance URL", readOnly=True),
                    "oauth_token_expiry": _text("Token expiry", readOnly=True),
                },
            ),
        ),
        ConnectionType(
            "hubspot",
            "HubSpot",
            source=True,
            destination=True,
            use_oauth=True,
            schema=_schema(
                "HubSpot",
                [],
                {
                    "hub_domain": _text("Hub domain", readOnly=True),
                    "oauth_refresh_token": _secret("OAuth refresh token", hidden=True),
                },
            ),
        ),
        ConnectionType(
            "postgresql",
            "PostgreSQL",
            source=True,
            destination=True,
            use_oauth=False,
            schema=_schema(
                "PostgreSQL",
                ["hostname", "port", "database", "username", "password"],
                {
                    "hostname": _text("Host"),
                    "port": {"type": "integer", "title": "Port", "default": 5432},
                    "database": _text("Database"),
                    "username": _text("User"),
                    "password": _secret("Password"),
                    "ssl": _flag("Use SSL", True),
                    "ssh": _flag("Connect over SSH"),
                    "ssh_host": _text("SSH host"),
                    "ssh_port": {"type": "integer", "title": "SSH port", "default": 22},
                    "ssh_user": _text("SSH user"),
                    "ssh_private_key": _secret("SSH private key"),
                    "client_certs": _flag("Client certificates"),
                    "client_certificate": _secret("Client certificate"),
                    "client_key": _secret("Client key"),
                    "ca_cert": _secret("CA certificate"),
                    "change_detection": _flag("Change detection"),
                    "publication": _text("Publication"),
                },
            ),
        ),
        ConnectionType(
            "snowflake",
            "Snowflake",
            source=True,
            destination=True,
            use_oauth=False,
            schema=_schema(
                "Snowflake",
                ["account", "username", "dbname"],
                {
                    "account": _text("Account"),
                    "username": _text("User"),
                    "dbname": _text("Database"),
                    "password": _secret("Password"),
                    "warehouse": _text("Warehouse"),
                    "params": _text("Connection parameters"),
                    "key_pair_auth": _flag("Key-pair authentication"),
                    "private_key": _secret("Private key"),
                    "private_key_passphrase": _secret("Private key passphrase"),
                    "use_bulk_sync_staging_schema": _flag("Use a staging schema"),
                    "bulk_sync_staging_schema": _text("Staging schema"),
                },
            ),
        ),
        ConnectionType(
            "webhook",
            "Webhook",
            source=False,
            destination=True,
            use_oauth=False,
            schema=_schema(
                "Webhook",
                ["url", "auth_method"],
                {
                    "url": _text("URL", format="uri"),
                    "auth_method": _choice(
                        "Authentication",
                        ["polytomic_secret", "basic", "header", "query", "oauth_client_credentials"],
                        "polytomic_secret",
                    ),
                    "secret": _secret("Signing secret"),
                    "basic": {
                        "type": "object",
                        "properties": {"username": _text("User"), "password": _secret("Password")},
                    },
                    "header": {"type": "object", "properties": {"name": _text("Header"), "value": _secret("Value")}},
                    "query": {"type": "array", "items": {"type": "object"}},
                    "oauth": {"type": "object"},
                    "headers": {"type": "array", "items": {"type": "object"}},
                },
            ),
        ),
    )
}
