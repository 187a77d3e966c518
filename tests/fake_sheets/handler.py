"""The one request handler behind both transports, ``responses`` and the loopback
server. It takes method, raw path, raw query, body and headers, and returns
status, headers and body.

Routing reads the raw path. gspread percent-encodes the whole range
(``/values/%27Sheet1%27%21A1%3AB2``) but leaves the ``:append`` or ``:clear``
suffix literal, so decoding first would break titles containing ``/`` or ``:``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.fake_sheets import (
    append,
    batch_update,
    developer_metadata,
    drive,
    metadata,
    values,
)
from tests.fake_sheets.call import Call
from tests.fake_sheets.errors import ApiError, invalid_argument
from tests.fake_sheets.exchange import ApiRequest, Reply
from tests.fake_sheets.faults import Faults
from tests.fake_sheets.spreadsheets import copy_sheet_to, create_spreadsheet
from tests.fake_sheets.store import Store

logger = logging.getLogger(__name__)

Endpoint = Callable[..., Any]

MAX_REQUEST_BYTES = 10_485_760
"""Google's limit on a Sheets request body. The 400 reply's message follows
error reports of Sheets API users (2018), not a recording."""


@dataclass(frozen=True)
class Route:
    """A URL pattern (over the raw path) and the endpoint serving it."""

    method: str
    pattern: re.Pattern[str]
    operation: str
    quota: str
    endpoint: Endpoint


_ID = r"(?P<id>[^/:?]+)"
_RANGE = r"(?P<range>[^:]+(?::(?!(?:append|clear)$)[^:]*)*)"


def _route(
    method: str, pattern: str, operation: str, quota: str, endpoint: Endpoint
) -> Route:
    return Route(method, re.compile(pattern + "$"), operation, quota, endpoint)


ROUTES = (
    _route(
        "POST", r"/v4/spreadsheets", "spreadsheets.create", "write", create_spreadsheet
    ),
    _route(
        "GET",
        rf"/v4/spreadsheets/{_ID}",
        "spreadsheets.get",
        "read",
        metadata.get_spreadsheet,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}:batchUpdate",
        "spreadsheets.batchUpdate",
        "write",
        batch_update.batch_update,
    ),
    _route(
        "GET",
        rf"/v4/spreadsheets/{_ID}/values:batchGet",
        "values.batchGet",
        "read",
        values.batch_get_values,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}/values:batchUpdate",
        "values.batchUpdate",
        "write",
        values.batch_update_values,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}/values:batchClear",
        "values.batchClear",
        "write",
        values.batch_clear_values,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}/values/{_RANGE}:append",
        "values.append",
        "write",
        append.append_values,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}/values/{_RANGE}:clear",
        "values.clear",
        "write",
        values.clear_values,
    ),
    _route(
        "GET",
        rf"/v4/spreadsheets/{_ID}/values/{_RANGE}",
        "values.get",
        "read",
        values.get_values,
    ),
    _route(
        "PUT",
        rf"/v4/spreadsheets/{_ID}/values/{_RANGE}",
        "values.update",
        "write",
        values.update_values,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}/sheets/(?P<sheet>\d+):copyTo",
        "sheets.copyTo",
        "write",
        copy_sheet_to,
    ),
    _route(
        "POST",
        rf"/v4/spreadsheets/{_ID}/developerMetadata:search",
        "developerMetadata.search",
        "read",
        developer_metadata.search,
    ),
    _route(
        "GET",
        rf"/v4/spreadsheets/{_ID}/developerMetadata/(?P<metadata>\d+)",
        "developerMetadata.get",
        "read",
        developer_metadata.get,
    ),
    _route(
        "POST", r"/drive/v3/files", "drive.files.create", "drive", drive.create_file
    ),
    _route("GET", r"/drive/v3/files", "drive.files.list", "drive", drive.list_files),
    _route(
        "GET", rf"/drive/v3/files/{_ID}", "drive.files.get", "drive", drive.get_file
    ),
    _route(
        "DELETE",
        rf"/drive/v3/files/{_ID}",
        "drive.files.delete",
        "drive",
        drive.delete_file,
    ),
    _route(
        "POST",
        rf"/drive/v3/files/{_ID}/copy",
        "drive.files.copy",
        "drive",
        drive.copy_file,
    ),
    _route(
        "GET",
        rf"/drive/v3/files/{_ID}/export",
        "drive.files.export",
        "drive",
        drive.export_file,
    ),
    _route(
        "GET",
        rf"/drive/v3/files/{_ID}/comments",
        "drive.comments.list",
        "drive",
        drive.list_comments,
    ),
    _route(
        "POST",
        rf"/drive/v3/files/{_ID}/permissions",
        "drive.permissions.create",
        "drive",
        drive.create_permission,
    ),
    _route(
        "GET",
        rf"/drive/v3/files/{_ID}/permissions",
        "drive.permissions.list",
        "drive",
        drive.list_permissions,
    ),
    _route(
        "PUT",
        rf"/upload/drive/v2/files/{_ID}",
        "drive.files.import",
        "drive",
        drive.import_csv,
    ),
)


class FakeSheetsHandler:
    """Serve Sheets v4 and Drive calls from a :class:`Store`, applying :class:`Faults`.

    Calls are served one at a time under the store's lock, so the loopback
    server's threads see a consistent spreadsheet.
    """

    def __init__(
        self, store: Store | None = None, faults: Faults | None = None
    ) -> None:
        self.store = store if store is not None else Store()
        self.faults = faults if faults is not None else Faults()
        self.requests: list[ApiRequest] = []
        self._count_lock = threading.Lock()

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Serve one call; never raises for API errors, which become error replies."""
        with self.store.lock:
            request = self._routed(
                method.upper(), path, query, body or b"", headers or {}
            )
            self.requests.append(request)
            reply = self._serve(request)
        logger.debug("%s %s -> %d", request.method, request.operation, reply.status)
        return reply

    def _routed(
        self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
    ) -> ApiRequest:
        request = ApiRequest(
            method, path, query, body, dict(headers), number=len(self.requests) + 1
        )
        found = _find_route(method, path)
        if found is None:
            return request
        route, match = found
        spreadsheet_id = (
            unquote(match.group("id")) if "id" in match.groupdict() else None
        )
        return replace(
            request,
            operation=route.operation,
            quota=route.quota,
            spreadsheet_id=spreadsheet_id,
        )

    def _serve(self, request: ApiRequest) -> Reply:
        try:
            user = self._caller(request)
            injected = self.faults.before(request, self.store, user)
            if injected is not None:
                return injected
            reply = self._execute_checked(request, user)
        except ApiError as error:
            return Reply.from_error(error)
        return self.faults.after(request, reply)

    def _execute_checked(self, request: ApiRequest, user: str) -> Reply:
        """Run the endpoint; a request shaped in a way it cannot read becomes a 400.

        Google rejects malformed bodies (a dict where a number belongs, a missing
        key) with INVALID_ARGUMENT. The fake does the same, logging the traceback
        so that a bug in the fake itself stays visible.
        """
        try:
            return self._execute(request, user)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
            logger.exception(
                "fake Sheets API could not read %s %s (call %d)",
                request.method,
                request.operation,
                request.number,
            )
            message = f"Invalid request: {type(error).__name__}: {error}"
            raise invalid_argument(message) from None

    def _caller(self, request: ApiRequest) -> str:
        authorization = _header(request.headers, "Authorization") or ""
        token = (
            authorization[len("Bearer ") :]
            if authorization.startswith("Bearer ")
            else None
        )
        user = self.store.user_for_token(token)
        if user is None:
            raise ApiError(401)
        return user

    def _execute(self, request: ApiRequest, user: str) -> Reply:
        found = _find_route(request.method, request.path)
        if found is None:
            raise ApiError(404, f"Method not found: {request.method} {request.path}")
        route, match = found
        if len(request.body) > MAX_REQUEST_BYTES and route.quota != "drive":
            raise invalid_argument(
                f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes."
            )
        call = Call(
            store=self.store,
            user=user,
            query=parse_qs(request.query, keep_blank_values=True),
            body=_parse_body(request),
            raw_body=request.body,
        )
        arguments = [unquote(value) for value in match.groups()]
        result = route.endpoint(call, *arguments)
        return _reply_for(route, result)


def _find_route(method: str, path: str) -> tuple[Route, re.Match[str]] | None:
    for route in ROUTES:
        if route.method != method:
            continue
        match = route.pattern.match(path)
        if match:
            return route, match
    return None


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _parse_body(request: ApiRequest) -> Any:
    if not request.body or request.operation == "drive.files.import":
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        raise invalid_argument(
            f"Invalid JSON payload received. {request.body[:40]!r} is not valid JSON."
        ) from None


def _reply_for(route: Route, result: Any) -> Reply:
    if route.operation == "drive.files.delete":
        return Reply(204)
    if route.operation == "drive.files.export":
        return Reply(200, {"Content-Type": "text/csv"}, str(result).encode("utf-8"))
    return Reply.from_json(200, result)
