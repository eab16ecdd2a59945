"""Setting up a GCS CSV → Salesforce sync in one resumable, idempotent call.

Steps: GCS connection → Salesforce connection (OAuth) → both schema caches → check the
plan (CSV columns, target object, mode, identity, mapping) → model → sync → run and wait.

Every object it creates gets a name derived from the inputs, and a second call with the
same inputs finds them by that name and carries on where the first stopped. Creates also
carry an idempotency key derived from the inputs, so a create that was cut off and
retried never makes a second object.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp.types import InputRequiredResult

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import (
    AccessDeniedError,
    ArgumentProblem,
    InvalidArgumentsError,
    InvalidPlanError,
    PolytomicMcpError,
    UnhealthyConnectionError,
)
from polytomic_mcp.guardrails.previews import ObjectRef, overwrite_preview
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.tool_names import (
    DIAGNOSE_SYNC,
    RUN_SYNC_AND_WAIT,
    SYNC_GCS_CSV_TO_SALESFORCE,
    WAIT_FOR_EXECUTION,
)
from polytomic_mcp.tools.views import HEALTHY, JsonObject, obj
from polytomic_mcp.tools.workflow.executions import SUCCESS, execution_summary, is_terminal, wait_for
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.differences import (
    Difference,
    model_ids,
    same_target_and_identity,
    sync_differences,
    update_body,
)
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.inputs import SyncRequest
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.locations import same_bucket, same_salesforce_org
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.oauth import (
    OAuthOutcome,
    answered_oauth,
    authorize,
    link_asked_before,
)
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.plan import SyncPlan, choices, plan_sync
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.report import (
    Finished,
    Report,
    idempotency_key,
    step_failure_text,
)
from polytomic_mcp.tools.workflow.waiting import Deadline
from polytomic_mcp.tools.workflow.waiting_tools import start_or_join, wait_schemas
from polytomic_mcp.tools.world import bucket_names, visible_world

CUT_GRACE_S = 0.5


def _type_id(connection: dict[str, Any]) -> str:
    kind = connection.get("type")
    return str(kind.get("id") if isinstance(kind, dict) else kind or "")


class CsvToSalesforceSetup:
    """The steps of one sync_gcs_csv_to_salesforce call, and the report of what each did."""

    def __init__(self, context: RequestContext, request: SyncRequest, deadline: Deadline) -> None:
        self.api = context.api
        self.context = context
        self.request = request
        self.deadline = deadline
        self.report = Report()
        self.stage = "gcs_connection"  # the step under way: a failure is reported under its name
        self._connections: list[dict[str, Any]] | None = None

    # -- connections ----------------------------------------------------------------------

    async def connections(self) -> list[dict[str, Any]]:
        if self._connections is None:
            self._connections = list(await self.api.data("connections_list") or [])
        return self._connections

    async def find_connection(self, name: str, type_id: str) -> dict[str, Any] | None:
        """Ours by the name we give, else any connection of the type on the same bucket or org
        (compared in normal form, so `https://…` and `gcs://…` spellings find it too)."""
        req = self.request
        candidates = [c for c in await self.connections() if _type_id(c) == type_id]
        for connection in candidates:
            if connection.get("name") == name:
                return connection
        for connection in candidates:
            stored = obj(connection.get("configuration"))
            if type_id == "gcs" and same_bucket(stored.get("bucket"), req.bucket_location() or ""):
                return connection
            if type_id == "salesforce" and same_salesforce_org(stored.get("domain"), req.salesforce_host() or ""):
                return connection
        return None

    async def existing(self, connection_id: str, type_id: str, step: str) -> dict[str, Any]:
        connection = await self.api.data("connections_get", connection_id=connection_id)
        if _type_id(connection) != type_id:
            self.report.step(step, "failed", connection_id, f"is a {_type_id(connection)} connection, not {type_id}")
            raise InvalidPlanError(
                f"{connection_id} is not a {type_id} connection",
                self.report.finish("invalid_input", f"Pass the id of a {type_id} connection."),
            )
        self.report.step(step, "reused", connection_id)
        return dict(connection)

    async def gcs_connection(self) -> dict[str, Any] | None:
        """The GCS connection to read from; None in a dry run that would create it."""
        req = self.request
        self.stage = "gcs_connection"
        if req.gcs_connection_id:
            return await self.existing(req.gcs_connection_id, "gcs", "gcs_connection")
        name = req.gcs_connection_name()
        found = await self.find_connection(name, "gcs")
        if found is not None:
            self.report.step("gcs_connection", "reused", found.get("id"), f"found as {found.get('name')!r}")
            return found
        if not req.service_account_json:
            problem = (
                f"is needed to create the GCS connection {name!r} (no connection to bucket "
                f"{req.bucket_location()!r} exists); give the service-account key JSON, or gcs_connection_id"
            )
            raise InvalidArgumentsError(SYNC_GCS_CSV_TO_SALESFORCE, [ArgumentProblem("service_account_json", problem)])
        configuration = {"service_account": req.service_account_text(), "bucket": req.bucket_location()}
        try:
            if req.dry_run:
                await self.api.envelope("connections_test_connection", type="gcs", configuration=configuration)
                self.report.step("gcs_connection", "would_create", detail=f"{name!r}; credentials and bucket checked")
                return None
            created = await self.api.data(
                "connections_create",
                idempotency_key(
                    SYNC_GCS_CSV_TO_SALESFORCE, "gcs", req.bucket_location(), req.service_account_fingerprint()
                ),
                name=name,
                type="gcs",
                configuration=configuration,
            )
        except PolytomicError as failure:
            if failure.status in (400, 422):
                await self.name_reachable_buckets()
            raise
        self.report.step("gcs_connection", "created", created.get("id"), f"named {name!r}")
        return dict(created)

    async def name_reachable_buckets(self) -> None:
        """After Polytomic refused a bucket: the buckets this session can see, for the next try."""
        try:
            world = await visible_world(self.context, with_files=False, connections=await self.connections())
        except PolytomicMcpError:
            return
        self.report.extra["buckets_in_reach"] = bucket_names(world)

    async def check_file_in_reach(self) -> None:
        """A dry run before the GCS connection exists: where the backend describes the bucket's files
        (the sandbox does), the CSV must be one of them."""
        location = self.request.bucket_location() or ""
        bucket, _, folder = location.partition("/")
        try:
            world = await visible_world(self.context, with_files=False, connections=await self.connections())
        except PolytomicMcpError:
            return
        files = world.buckets[bucket].files if bucket in world.buckets else []
        if not files:
            return  # the backend does not say what the bucket holds: the schemas will, once connected
        key = self.request.csv_key
        in_folder = [f[len(folder) + 1 :] for f in files if f.startswith(folder + "/")] if folder else files
        if key in in_folder:
            self.report.step("csv_file", "exists", key, f"in bucket {location!r}")
            return
        self.stage = "csv_file"
        raise self.no_such_file(key, in_folder)

    def no_such_file(self, key: str, files: list[str]) -> InvalidPlanError:
        self.report.step("csv_file", "failed", detail=f"{key!r} not found in the bucket")
        return InvalidPlanError(
            f"{key!r} is not a file of the bucket",
            self.report.finish("invalid_plan", f"Use one of the bucket's files as csv_key: {choices(files)}"),
        )

    async def salesforce_connection(self) -> tuple[dict[str, Any] | None, str | None]:
        """The Salesforce connection and, when it still needs OAuth, its auth_url."""
        req = self.request
        self.stage = "salesforce_connection"
        if req.salesforce_connection_id:
            connection = await self.existing(req.salesforce_connection_id, "salesforce", "salesforce_connection")
            return connection, None
        name = req.salesforce_connection_name()
        found = await self.find_connection(name, "salesforce")
        if found is not None:
            self.report.step("salesforce_connection", "reused", found.get("id"), f"found as {found.get('name')!r}")
            return found, None
        if req.dry_run:
            self.report.step("salesforce_connection", "would_create", detail=f"{name!r}; then the user authorizes it")
            return None, None
        created = await self.api.data(
            "connections_create",
            idempotency_key(SYNC_GCS_CSV_TO_SALESFORCE, "salesforce", req.salesforce_host(), req.redirect_url),
            name=name,
            type="salesforce",
            configuration={"domain": req.salesforce_host()},
            redirect_url=req.redirect_url,
        )
        self.report.step("salesforce_connection", "created", created.get("id"), f"named {name!r}")
        if created.get("auth_url"):
            # In the report at once: if a later step fails, the one sign-in link is not lost with it
            # (a new one needs a confirmed reconnect).
            self.report.extra["auth_url"] = created["auth_url"]
        return dict(created), created.get("auth_url")

    async def fresh_auth_url(self, connection: dict[str, Any]) -> str | None:
        """An existing connection still waiting for OAuth: ask for a new authorization URL."""
        configuration = {k: v for k, v in (connection.get("configuration") or {}).items() if v not in (None, "")}
        configuration.setdefault("domain", self.request.salesforce_host())
        updated = await self.api.data(
            "connections_update",
            connection_id=connection["id"],
            name=connection.get("name") or self.request.salesforce_connection_name(),
            configuration=configuration,
            reconnect=True,
        )
        url = updated.get("auth_url") if isinstance(updated, dict) else None
        return str(url) if url else None

    async def ensure_authorized(self, connection: dict[str, Any], auth_url: str | None) -> InputRequiredResult | None:
        self.stage = "salesforce_authorization"
        current = await self.api.data("connections_get", connection_id=connection["id"])
        if current.get("status") == HEALTHY:
            self.report.extra.pop("auth_url", None)  # signed in: the link is spent
            if answered_oauth(self.context):
                self.report.step("salesforce_authorization", "checked", connection["id"], "authorized by the user")
            return None
        try:
            url = auth_url or link_asked_before(self.context, connection["id"]) or await self.fresh_auth_url(current)
        except AccessDeniedError as refused:  # a new sign-in link re-saves the connection: not confirmed or allowed
            self.report.step("salesforce_authorization", "pending", connection["id"], "no new sign-in link")
            raise Finished(
                self.report.finish(
                    "needs_authorization",
                    f"Salesforce connection {connection['id']} still waits for sign-in, and a new sign-in link "
                    f"(connections_update with reconnect) did not run: {str(refused).splitlines()[0]} "
                    "Ask the user to authorize the connection in Polytomic, then call again.",
                )
            ) from None
        if not url:
            raise UnhealthyConnectionError(
                f"Salesforce connection {connection['id']} is not healthy",
                self.report.finish(
                    "connection_unhealthy",
                    f"Salesforce connection {connection['id']} is {current.get('status')!r} "
                    f"({current.get('status_error') or 'no detail'}); fix it in Polytomic, then call again.",
                ),
            )
        outcome = await authorize(self.context, self.api, connection["id"], url, self.deadline)
        if isinstance(outcome, InputRequiredResult):
            return outcome
        if outcome is OAuthOutcome.AUTHORIZED:
            self.report.extra.pop("auth_url", None)
            self.report.step("salesforce_authorization", "checked", connection["id"], "authorized by the user")
            return None
        self.report.step("salesforce_authorization", "pending", connection["id"])
        self.report.extra["auth_url"] = url
        raise Finished(
            self.report.finish(
                "needs_authorization",
                "Ask the user to open auth_url and sign in to Salesforce, then call "
                f"{SYNC_GCS_CSV_TO_SALESFORCE} again with the same inputs (service_account_json may be left out "
                "now: the GCS connection exists and is found by name). It continues from here.",
            )
        )

    # -- checks ---------------------------------------------------------------------------

    async def wait_for_schemas(self, ids: list[str]) -> None:
        self.stage = "schema_cache"
        states = await wait_schemas(self.context, ids, self.deadline)
        blocked = [s for s in states if s.problem]
        if blocked:
            self.report.step("schema_cache", "failed", detail="; ".join(str(s.problem) for s in blocked))
            raise Finished(
                self.report.finish("connection_unhealthy", "Fix the connection named above, then call again.")
            )
        if not all(s.ready for s in states):
            self.report.step("schema_cache", "pending", detail=", ".join(f"{s.id}: {s.cache_status}" for s in states))
            raise Finished(
                self.report.finish(
                    "waiting_for_schemas",
                    f"Schemas are still being cached; call {SYNC_GCS_CSV_TO_SALESFORCE} again with the same inputs.",
                )
            )
        self.report.step("schema_cache", "checked", detail="ready")

    async def csv_columns(self, gcs_id: str) -> list[str]:
        self.stage = "csv_file"
        key = self.request.csv_key
        try:
            schema = await self.api.data("schemas_get", connection_id=gcs_id, schema_id=key)
        except PolytomicError as failure:
            if failure.status != 404:
                raise
            source = await self.api.data("bulk_sync_get_source", connection_id=gcs_id)
            files = [str(s.get("id")) for s in (source or {}).get("schemas") or []]
            raise self.no_such_file(key, files) from None
        columns = [str(f.get("name") or f.get("id")) for f in schema.get("fields") or []]
        self.report.step("csv_file", "checked", key, f"{len(columns)} columns")
        return columns

    async def check_plan(self, sf_id: str, columns: list[str]) -> SyncPlan:
        self.stage = "plan"
        req = self.request
        objects = await self.api.data("model_sync_targets_list", connection_id=sf_id) or []
        target = next((o for o in objects if o.get("id") == req.target_object), None)
        if target is None:
            names = [str(o.get("id")) for o in objects]
            self.report.step("target_object", "failed", detail=f"{req.target_object!r} not offered")
            raise InvalidPlanError(
                f"{req.target_object!r} is not a target object",
                self.report.finish("invalid_plan", f"Choose target_object from: {choices(names)}"),
            )
        described = await self.api.data("model_sync_targets_get_fields", connection_id=sf_id, target=req.target_object)
        plan = plan_sync(
            columns=columns,
            target_fields=list(described.get("fields") or []),
            target_object=req.target_object,
            modes=list(target.get("modes") or described.get("modes") or []),
            mode=req.mode,
            identity_source=req.identity_source_field,
            identity_target=req.identity_target_field,
            identity_function=req.identity_function,
            explicit=req.field_mappings,
        )
        self.report.plan = plan.summary()
        if not plan.ok:
            self.report.step("plan", "failed", detail=f"{len(plan.problems)} problem(s); nothing was created")
            raise InvalidPlanError(
                "the plan has problems",
                self.report.finish("invalid_plan", "Fix the problems listed in plan.problems and call again."),
            )
        self.report.step("plan", "checked", detail=f"{len(plan.mappings)} fields mapped")
        return plan

    # -- model, sync, run -----------------------------------------------------------------

    async def find_model(self, gcs_id: str) -> dict[str, Any] | None:
        name = self.request.model_name()
        for model in await self.api.data("models_list") or []:
            if model.get("name") == name and model.get("connection_id") == gcs_id:
                return dict(model)
        return None

    async def model(self, gcs_id: str) -> dict[str, Any] | None:
        """The model over the CSV: found by its name, else created (None in a dry run)."""
        req = self.request
        self.stage = "model"
        name = req.model_name()
        found = await self.find_model(gcs_id)
        if found is not None:
            self.report.step("model", "exists" if req.dry_run else "reused", found.get("id"), f"found by name {name!r}")
            return found
        if req.dry_run:
            self.report.step("model", "would_create", detail=name)
            return None
        created = await self.api.data(
            "models_create",
            idempotency_key(SYNC_GCS_CSV_TO_SALESFORCE, "model", gcs_id, req.csv_key),
            name=name,
            connection_id=gcs_id,
            configuration={"model_from": "single_file", "key": req.csv_key, "file_format": "csv"},
        )
        self.report.step("model", "created", created.get("id"), f"named {name!r}")
        return dict(created)

    def sync_body(self, model_id: str, sf_id: str, plan: SyncPlan) -> dict[str, Any]:
        req = self.request
        source = {"model_id": model_id, "field": plan.identity_source}
        return {
            "name": req.sync_name(),
            "mode": req.mode,
            "target": {"connection_id": sf_id, "object": req.target_object},
            "identity": {"source": source, "target": plan.identity_target, "function": plan.identity_function},
            "fields": [
                {"source": {"model_id": model_id, "field": m.source}, "target": m.target} for m in plan.mappings
            ],
            "schedule": req.schedule_for_api(),
            "active": True,
        }

    async def sync(self, model: dict[str, Any] | None, sf_id: str, plan: SyncPlan) -> dict[str, Any] | None:
        """The sync: created, found and left as it is (its settings match), or found and updated to
        the requested settings with the user's confirmation. None in a dry run that would create it."""
        self.stage = "sync"
        name = self.request.sync_name()
        model_id = str(model["id"]) if model else "(the model to be created)"
        body = self.sync_body(model_id, sf_id, plan)
        listed = [s for s in await self.api.all_pages("model_sync_list", target_connection_id=sf_id) if s.get("id")]
        await self.warn_of_other_writers(listed, body, model)
        found = next((s for s in listed if s.get("name") == name), None)
        if found is None:
            if self.request.dry_run:
                self.report.step("sync", "would_create", detail=name)
                return None
            created = await self.api.data(
                "model_sync_create", idempotency_key(SYNC_GCS_CSV_TO_SALESFORCE, "sync", json.dumps(body)), **body
            )
            self.report.step("sync", "created", created.get("id"), f"named {name!r}")
            return dict(created)
        current = obj(await self.api.data("model_sync_get", sync_id=found["id"]))
        differences = sync_differences(current, body)
        if not differences:
            detail = f"found by name {name!r}; its settings match the request"
            self.report.step("sync", "exists" if self.request.dry_run else "reused", found["id"], detail)
            return current
        self.report.extra["differences"] = [d.view() for d in differences]
        if self.request.dry_run:
            self.report.step("sync", "would_update", found["id"], f"{len(differences)} setting(s) differ")
            return current
        return await self.update_sync(current, body, differences)

    async def update_sync(self, current: JsonObject, body: JsonObject, differences: list[Difference]) -> dict[str, Any]:
        """Replace the sync's settings with the requested ones, once the user confirmed the diff."""
        sync_id = str(current["id"])
        replacement = update_body(current, body, self.api.argument_names("model_sync_update"))
        subject = ObjectRef("model sync", sync_id, str(current.get("name") or ""))
        preview = overwrite_preview(
            "model_sync_update", "Replace the sync's settings with the requested ones.", subject, current, replacement
        )
        try:
            await self.api.confirm_overwrite("model_sync_update", preview, sync_id=sync_id, **replacement)
            updated = await self.api.data("model_sync_update", sync_id=sync_id, **replacement)
        except AccessDeniedError as refused:  # not confirmed by the user, or not allowed in this mode
            self.report.step("sync", "not_updated", sync_id, str(refused).splitlines()[0])
            raise InvalidPlanError(
                "the sync has other settings than requested",
                self.report.finish(
                    "not_updated",
                    f"The sync {sync_id} exists with other settings (see differences) and was not changed. "
                    "To change them, call again once the user confirms the update (model_sync_update, "
                    "full-access mode); or call with the sync's current settings to keep them.",
                ),
            ) from None
        self.report.step("sync", "updated", sync_id, f"{len(differences)} setting(s) changed, as confirmed")
        self.report.extra["changes"] = self.report.extra.pop("differences")
        return dict(obj(updated) or current)

    async def warn_of_other_writers(
        self, listed: list[JsonObject], body: JsonObject, model: dict[str, Any] | None
    ) -> None:
        """Another sync writing the same file into the same object on the same identity would
        fight this one over the same records: say so (the agent decides)."""
        name = self.request.sync_name()
        for other in listed:
            if other.get("name") == name or other.get("target_object") not in (None, self.request.target_object):
                continue
            full = obj(await self.api.data("model_sync_get", sync_id=other["id"]))
            if not same_target_and_identity(full, body):
                continue
            if (model is not None and str(model["id"]) in model_ids(full)) or await self.reads_same_file(full):
                self.report.warn(
                    f"sync {other['id']} ({full.get('name')!r}) already writes {self.request.csv_key!r} into "
                    f"{self.request.target_object} matching on {self.request.identity_target_field}"
                )

    async def reads_same_file(self, sync: JsonObject) -> bool:
        for model_id in sorted(model_ids(sync)):
            try:
                other = obj(await self.api.data("models_get", model_id=model_id))
            except PolytomicMcpError:
                continue
            if obj(other.get("configuration")).get("key") == self.request.csv_key:
                return True
        return False

    async def last_success(self, sync_id: str) -> dict[str, Any] | None:
        """The last execution when it completed and none is running now; None when a run is due."""
        status = await self.api.data("model_sync_get_status", sync_id=sync_id) or {}
        current, last = status.get("current_execution"), status.get("last_execution")
        if current and current.get("id") and not is_terminal(current.get("status")):
            return None  # a run is in progress: join it
        if last and last.get("status") == SUCCESS:
            return dict(last)
        return None

    async def run_sync(self, sync_id: str) -> None:
        self.stage = "run"
        if self.request.run == "never":
            self.report.step("run", "skipped", detail="run=never")
            return
        previous = None if self.request.run == "always" else await self.last_success(sync_id)
        if previous is not None:
            self.report.step("run", "skipped", previous.get("id"), "already ran; pass run='always' to run again")
            self.report.execution = execution_summary(previous)
            self.report.status = "up_to_date"
            return
        execution_id, joined = await start_or_join(self.api, sync_id, resync=False)
        self.report.step("run", "started", execution_id, "joined the running execution" if joined else None)
        execution = await wait_for(self.context, sync_id, execution_id, self.deadline)
        self.report.execution = execution_summary(execution)

    # -- the whole thing ------------------------------------------------------------------

    async def run(self) -> dict[str, Any] | InputRequiredResult:
        gcs = await self.gcs_connection()
        salesforce, auth_url = await self.salesforce_connection()
        if salesforce is not None and not self.request.dry_run:
            pending = await self.ensure_authorized(salesforce, auth_url)
            if pending is not None:
                return pending
        if gcs is None or salesforce is None:
            if gcs is None:
                await self.check_file_in_reach()
            self.report.plan = {"checks": "pending: schemas can only be checked once the connections exist"}
            self.report.step("model", "would_create", detail=self.request.model_name())
            self.report.step("sync", "would_create", detail=self.request.sync_name())
            return self.report.finish("planned", "Call again without dry_run to create the connections.")
        if salesforce.get("status") != HEALTHY and self.request.dry_run:
            current = await self.api.data("connections_get", connection_id=salesforce["id"])
            if current.get("status") != HEALTHY:
                self.report.step("salesforce_authorization", "pending", salesforce["id"])
                return self.report.finish(
                    "planned", "The Salesforce connection still needs OAuth; run without dry_run."
                )
        await self.wait_for_schemas([str(gcs["id"]), str(salesforce["id"])])
        columns = await self.csv_columns(str(gcs["id"]))
        plan = await self.check_plan(str(salesforce["id"]), columns)
        model = await self.model(str(gcs["id"]))
        sync = await self.sync(model, str(salesforce["id"]), plan)
        if self.request.dry_run:
            changes = (
                "; the sync's settings would be updated (see differences)" if "differences" in self.report.extra else ""
            )
            return self.report.finish(
                "planned", f"The plan checks out{changes}. Call again without dry_run to apply it and run."
            )
        assert sync is not None  # only a dry run leaves the sync to be created
        self.report.extra["sync_id"] = sync.get("id")
        await self.run_sync(str(sync["id"]))
        return self.finish_after_run()

    def finish_after_run(self) -> dict[str, Any]:
        execution = self.report.execution
        if self.report.status == "up_to_date":
            return self.report.finish("up_to_date", "Nothing to do: the sync exists and its last run completed.")
        hint = self.context.hints
        if execution is None:
            return self.report.finish(
                "ready", f"The sync is set up; run it with {hint(RUN_SYNC_AND_WAIT)} when wanted."
            )
        if not is_terminal(execution.get("status")):
            return self.report.finish(
                "running",
                f"Still running; call {hint(WAIT_FOR_EXECUTION)} with sync_id and the run step's id to keep waiting.",
            )
        errors = (execution.get("counts") or {}).get("error", 0)
        if execution.get("status") == SUCCESS and not errors:
            return self.report.finish("completed", "Done.")
        return self.report.finish(
            "completed_with_errors" if execution.get("status") == SUCCESS else str(execution.get("status")),
            f"Call {self.context.hints(DIAGNOSE_SYNC)} with sync_id to see which records failed and why.",
        )


async def set_up_sync(
    context: RequestContext, request: SyncRequest, deadline: Deadline
) -> dict[str, Any] | InputRequiredResult:
    setup = CsvToSalesforceSetup(context, request, deadline)
    outcome: dict[str, Any] | InputRequiredResult | None = None
    try:
        # Slow API answers are cut shortly after the deadline (every step is safe to repeat);
        # the grace lets a wait that ends at the deadline report what it saw first.
        with anyio.move_on_after(deadline.left() + CUT_GRACE_S):
            outcome = await setup.run()
    except Finished as finished:
        return finished.payload
    except PolytomicMcpError as failure:
        if failure.payload is None:  # a step failed: the error result carries the steps done so far
            text = step_failure_text(setup.stage, failure)
            setup.report.step(setup.stage, "failed", detail=text.splitlines()[0])
            failure.payload = setup.report.finish("failed", text)
        raise
    if outcome is None:
        outcome = setup.report.finish(
            "timed_out",
            f"Polytomic was slow; nothing is lost. Call {SYNC_GCS_CSV_TO_SALESFORCE} again with the same inputs "
            "to continue from the last step.",
        )
    return outcome
