"""The inputs of sync_gcs_csv_to_salesforce, and the names it gives what it creates.

The field order and descriptions are the tool's inputSchema (what the model reads), so
they stay terse; the checks that need more than one field live in `problems`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import Field

from polytomic_mcp.errors import ArgumentProblem
from polytomic_mcp.tools.definition import ToolInput
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.locations import LocationError, bucket_location, salesforce_host
from polytomic_mcp.tools.workflow.waiting import TimeoutSeconds

Mode = Literal["create", "update", "updateOrCreate", "remove"]
Frequency = Literal["manual", "hourly", "daily", "weekly", "continuous"]
IdentityFunction = Literal["Equality", "ISubstring", "OneOf", "DomainMatch", "HostnameMatch"]
RunPolicy = Literal["if_needed", "always", "never"]


class Schedule(ToolInput):
    # When the sync runs; times are UTC strings, as Polytomic expects. (A comment, not a
    # docstring: a docstring would be sent in every tool list.)

    frequency: Frequency = "manual"
    hour: str | None = Field(default=None, description="UTC, e.g. '05'.")
    minute: str | None = None
    day_of_week: str | None = Field(default=None, description="e.g. 'monday'.")

    def as_api(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class SyncRequest(ToolInput):
    # The tool's arguments (a comment, not a docstring: see Schedule).

    csv_key: Annotated[str, Field(description="File key in the bucket, e.g. exports/contacts.csv.")]
    bucket: str | None = None
    service_account_json: Annotated[
        str | dict[str, Any] | None,
        Field(description="Service-account key (JSON), for a new GCS connection."),
    ] = None
    gcs_connection_id: str | None = None
    salesforce_domain: Annotated[str | None, Field(description="e.g. acme.my.salesforce.com")] = None
    salesforce_connection_id: str | None = None
    redirect_url: str | None = None
    target_object: str = "Contact"
    identity_source_field: Annotated[str, Field(description="CSV column identifying a record.")] = "email"
    identity_target_field: str = "Email"
    identity_function: IdentityFunction = "Equality"
    field_mappings: Annotated[
        dict[str, str] | None, Field(description="CSV column → target field; default: match names.")
    ] = None
    mode: Mode = "updateOrCreate"
    schedule: Schedule | None = None
    run: Annotated[RunPolicy, Field(description="if_needed: unless it already ran fine.")] = "if_needed"
    dry_run: Annotated[bool, Field(description="Check and show the plan; create nothing.")] = False
    timeout_s: TimeoutSeconds = 45

    def problems(self) -> list[ArgumentProblem]:
        """Input combinations that cannot work, found before any API call."""
        found: list[ArgumentProblem] = []
        if not self.csv_key.strip():
            found.append(ArgumentProblem("csv_key", "give the file's key in the bucket, e.g. 'exports/contacts.csv'"))
        if not self.gcs_connection_id and not self.bucket:
            found.append(
                ArgumentProblem(
                    "bucket", "give bucket (and service_account_json to create the connection) or gcs_connection_id"
                )
            )
        if not self.salesforce_connection_id and not self.salesforce_domain:
            found.append(
                ArgumentProblem(
                    "salesforce_domain",
                    "give the login domain (e.g. 'acme.my.salesforce.com') or salesforce_connection_id",
                )
            )
        for member, normal in (("bucket", bucket_location), ("salesforce_domain", salesforce_host)):
            given = getattr(self, member)
            if given is not None and given.strip():
                try:
                    normal(given)
                except LocationError as bad:
                    found.append(ArgumentProblem(member, str(bad)))
        if self.field_mappings is not None and not self.field_mappings:
            found.append(
                ArgumentProblem("field_mappings", "leave it out to match columns by name, or map at least one column")
            )
        return found

    def service_account_text(self) -> str | None:
        """The key as the API takes it: JSON text (an object given as such is serialised)."""
        key = self.service_account_json
        return json.dumps(key) if isinstance(key, dict) else key

    def service_account_fingerprint(self) -> str:
        """Identifies the credentials inside idempotency keys without carrying them."""
        return hashlib.sha256((self.service_account_text() or "").encode()).hexdigest()[:16]

    def schedule_for_api(self) -> dict[str, Any]:
        return (self.schedule or Schedule()).as_api()

    def bucket_location(self) -> str | None:
        """The bucket (and folder) in one normal form (`gs://b/f/` → `b/f`); None when not given."""
        return bucket_location(self.bucket) if self.bucket else None

    def salesforce_host(self) -> str | None:
        """The Salesforce domain as a bare host (`https://Acme.my.salesforce.com/` → `acme.my.salesforce.com`)."""
        return salesforce_host(self.salesforce_domain) if self.salesforce_domain else None

    def gcs_connection_name(self) -> str:
        return f"GCS {self.bucket_location()}"

    def salesforce_connection_name(self) -> str:
        return f"Salesforce {self.salesforce_host()}"

    def model_name(self) -> str:
        return f"CSV {self.csv_key}"

    def sync_name(self) -> str:
        return f"{self.csv_key} → Salesforce {self.target_object}"
