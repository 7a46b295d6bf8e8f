"""Errors every HTTP function answers with: ``{"error": {"code", "message", "request_id", "details"?}}``.

Never a stack trace, never a secret: handlers raise :class:`ApiError`; anything else is
logged server-side and answered as a bare 500.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import jsonsafe

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def bad_request(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(400, "BadRequest", message, details)


def from_validation_error(exc: ValidationError) -> ApiError:
    details = [
        {"field": ".".join(str(p) for p in e["loc"]) or "<body>", "message": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return ApiError(400, "ValidationError", "the request body is invalid", details)


def validate_object(model: type[M], data: Any) -> M:
    """``data`` (a parsed JSON body) as ``model``: 400 unless it is an object that validates."""
    if not isinstance(data, dict):
        raise ApiError(400, "BadRequest", "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def error_body(code: str, message: str, request_id: str | None, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if details:
        error["details"] = details
    return {"error": error}


def parse_json_body(raw: bytes) -> Any:
    """JSON from a request body within :mod:`jsonsafe`'s limits, or a 400 that says what is wrong."""
    if not raw.strip():
        raise bad_request("the request body is empty; send a JSON object")
    try:
        return jsonsafe.loads(raw)
    except jsonsafe.JsonRejected as exc:
        raise bad_request(f"the request body {exc}") from None
