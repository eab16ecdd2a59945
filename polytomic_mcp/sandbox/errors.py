"""Polytomic's error body and the exception that carries it through the sandbox."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer in Polytomic's error shape: ``{status, message, key, metadata}``."""

    def __init__(self, status: int, message: str, key: str, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.key = key
        self.metadata = metadata or {}

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, "key": self.key, "metadata": self.metadata}


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, f"{what} {ident} not found", "not_found", {"id": ident})


def bad_request(message: str, field: str | None = None, key: str = "invalid_request") -> ApiError:
    return ApiError(400, message, key, {"field": field} if field else {})


def unprocessable(message: str, field: str | None = None, **extra: Any) -> ApiError:
    metadata: dict[str, Any] = {"field": field} if field else {}
    metadata.update(extra)
    return ApiError(422, message, "validation_failed", metadata)


def conflict(message: str, key: str = "conflict") -> ApiError:
    return ApiError(409, message, key)
