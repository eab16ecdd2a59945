"""Inputs of sync_gcs_csv_to_salesforce and the names it gives what it creates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

Mode = Literal["create", "update", "updateOrCreate", "remove"]
Frequency = Literal["manual", "hourly", "daily", "weekly", "continuous"]
IdentityFunction = Literal["Equality", "ISubstring", "OneOf", "DomainMatch", "HostnameMatch"]
RunPolicy = Literal["if_needed", "always", "never"]


class Schedule(BaseModel):
    # When the sync runs; times are UTC strings, as Polytomic expects. (A comment, not a
    # docstring: a docstring would be sent in every tool list.)

    frequency: Frequency = "manual"
    hour: str | None = Field(default=None, description="UTC, e.g. '05'.")
    minute: str | None = None
    day_of_week: str | None = Field(default=None, description="e.g. 'monday'.")

    def as_api(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


@dataclass(frozen=True)
class SyncRequest:
    csv_key: str
    bucket: str | None
    service_account_json: str | None
    gcs_connection_id: str | None
    salesforce_connection_id: str | None
    salesforce_domain: str | None
    redirect_url: str | None
    target_object: str
    identity_source_field: str
    identity_target_field: str
    identity_function: str
    field_mappings: dict[str, str] | None
    mode: str
    schedule: Schedule
    run: RunPolicy
    dry_run: bool

    def problems(self) -> list[str]:
        """Input combinations that cannot work, found before any API call."""
        found: list[str] = []
        if not self.csv_key.strip():
            found.append("csv_key: give the file's key in the bucket, e.g. 'exports/contacts.csv'")
        if not self.gcs_connection_id and not self.bucket:
            found.append("bucket: give bucket (and service_account_json to create the connection) or gcs_connection_id")
        if not self.salesforce_connection_id and not self.salesforce_domain:
            found.append(
                "salesforce_domain: give the login domain (e.g. 'acme.my.salesforce.com') or salesforce_connection_id"
            )
        if self.field_mappings is not None and not self.field_mappings:
            found.append("field_mappings: leave it out to match columns by name, or map at least one column")
        return found

    def service_account_fingerprint(self) -> str:
        """Identifies the credentials inside idempotency keys without carrying them."""
        return hashlib.sha256((self.service_account_json or "").encode()).hexdigest()[:16]

    def gcs_connection_name(self) -> str:
        return f"GCS {self.bucket}"

    def salesforce_connection_name(self) -> str:
        return f"Salesforce {self.salesforce_domain}"

    def model_name(self) -> str:
        return f"CSV {self.csv_key}"

    def sync_name(self) -> str:
        return f"{self.csv_key} → Salesforce {self.target_object}"
