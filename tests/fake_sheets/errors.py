"""Error responses of the fake Sheets and Drive APIs, in Google's JSON shape.

Sheets errors carry ``code``, ``message`` and ``status`` (and sometimes ``details``)
but no ``errors`` array, as in the 2023 recordings. gspread's retry logic reads an
``errors`` array as the Drive shape. Drive errors carry the ``errors`` array.
``code`` always equals the HTTP status because gspread reads the code from the body.
"""

from __future__ import annotations

import json
from typing import Any

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

DEFAULT_MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access "
    "token, login cookie or other valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


class ApiError(Exception):
    """An error response of the fake API, raised anywhere while serving a request."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES[code]
        self.details = details
        self.errors = errors
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        """Return the JSON body Google sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            error["errors"] = self.errors
        error["status"] = STATUS_NAMES.get(self.code, "UNKNOWN")
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def invalid_argument(message: str) -> ApiError:
    """Return a plain 400 INVALID_ARGUMENT error."""
    return ApiError(400, message)


def invalid_request(index: int, kind: str, message: str) -> ApiError:
    """Return the 400 of a batchUpdate whose request ``index`` is invalid."""
    return ApiError(400, f"Invalid requests[{index}].{kind}: {message}")


def invalid_field_value(field: str, expected_type: str, value: Any) -> ApiError:
    """Return the 400 for a JSON body field of the wrong type, with its violation."""
    rendered = json.dumps(value, ensure_ascii=False)
    message = (
        f"Invalid value at '{field}' (type.googleapis.com/{expected_type}), {rendered}"
    )
    violation = {"field": field, "description": message}
    detail = {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [violation],
    }
    return ApiError(400, message, details=[detail])


def unknown_field(name: str, location: str) -> ApiError:
    """Return the 400 for a JSON body field the API does not define."""
    message = (
        f'Invalid JSON payload received. Unknown name "{name}" at '
        f"'{location}': Cannot find field."
    )
    violation = {"field": location, "description": message}
    detail = {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [violation],
    }
    return ApiError(400, message, details=[detail])


def drive_error(code: int, message: str, reason: str, **extra: str) -> ApiError:
    """Return a Drive-shaped error, which carries an ``errors`` array."""
    entry: dict[str, Any] = {"message": message, "domain": "global", "reason": reason}
    entry.update(extra)
    return ApiError(code, message, errors=[entry])


def drive_file_not_found(file_id: str) -> ApiError:
    """Return Drive's 404 for an unknown or inaccessible file."""
    message = f"File not found: {file_id}."
    return drive_error(
        404,
        message,
        "notFound",
        location="fileId",
        locationType="parameter",
    )
