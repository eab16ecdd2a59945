"""Background jobs (``GET /api/jobs/{type}/{id}``): created → running → done, with a result.

The result is computed when the job is submitted (so a bad request fails at once, as the
real API validates synchronously); it is revealed, and its deferred effect (a document to
save, such as the model a ``createmodel`` job creates) is applied, once the job's time is up.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.errors import bad_request, not_found
from polytomic_mcp.sandbox.state.runtime import Runtime
from polytomic_mcp.sandbox.state.store import Store

KIND = "job"
JOB_TYPES = ("createmodel", "updatemodel", "previewmodel", "samplemodel", "exportlogs", "connectionproxy")


def save_document(kind: str, ident: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The effect of a job that stores ``doc`` when it is done."""
    return {"kind": kind, "id": ident, "doc": doc}


def submit(
    runtime: Runtime, org: str, job_type: str, result: Any, effect: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Record a job and return its public view (status ``created``)."""
    now = runtime.now(org)
    seconds = runtime.config.job_seconds
    job = {
        "job_id": runtime.new_id(org),
        "type": job_type,
        "created": now,
        "running_at": now + seconds / 2,
        "done_at": now + seconds,
        "status": "created",
        "result": result,
        "effect": effect,
    }
    runtime.store.put(org, KIND, job["job_id"], job, job_type)
    runtime.store.mark_pending(org, KIND, job["job_id"])
    return view(job)


def view(job: dict[str, Any]) -> dict[str, Any]:
    done = job["status"] == "done"
    return {
        "job_id": job["job_id"],
        "type": job["type"],
        "status": job["status"],
        "result": job["result"] if done else None,
        "error": job.get("error"),
    }


def advance(runtime: Runtime, org: str, job_id: str) -> None:
    store = runtime.store
    with store.transaction():
        job = store.get(org, KIND, job_id)
        if job is None:
            store.clear_pending(org, KIND, job_id)
            return
        now = runtime.now(org)
        if job["status"] == "created" and now >= job["running_at"]:
            job["status"] = "running"
        if job["status"] == "running" and now >= job["done_at"]:
            effect = job.get("effect")
            if effect:
                store.put(org, effect["kind"], effect["id"], effect["doc"])
            job["status"] = "done"
            store.clear_pending(org, KIND, job_id)
        store.put(org, KIND, job_id, job, job["type"])


def lookup(store: Store, org: str, job_type: str, job_id: str) -> dict[str, Any]:
    if job_type not in JOB_TYPES:
        raise bad_request(f"unknown job type {job_type!r}; known: {', '.join(JOB_TYPES)}", "type")
    job = store.get(org, KIND, job_id)
    if job is None or job["type"] != job_type:
        raise not_found("job", job_id)
    return job
