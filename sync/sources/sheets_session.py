"""The API requests pipesheet sends to one spreadsheet, and the errors users see.

Every request goes through :class:`~sync.sources.sheets_retry.SheetsCaller`, so
it is retried within the run's deadline and counted. Google's refusals become
messages that tell the user what to do: share the spreadsheet with the service
account's e-mail address, enable the API, or fix ``source.spreadsheet``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import gspread
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL

from config.errors import PipesheetError, SourceError, WorkbookNotFoundError
from sync.sources.sheets_auth import KEY_ADVICE, ServiceAccount
from sync.sources.sheets_protection import is_protected_cell_error, protection_error
from sync.sources.sheets_retry import (
    CREDENTIALS_REJECTED,
    SheetsCaller,
    SheetsRequestError,
)
from sync.sources.sheets_state import (
    SPREADSHEET_FIELDS,
    SpreadsheetInfo,
    parse_spreadsheet,
)

T = TypeVar("T")

READ_OPTIONS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
# The same read with dates, times and durations as the cell shows them: a
# number there that comes back as text is formatted as a date or time.
FORMATTED_DATES_OPTIONS = {**READ_OPTIONS, "dateTimeRenderOption": "FORMATTED_STRING"}
# The same read with formula text (``"=IF(B2=1,\"x\",\"\")"``) for formula
# cells and unformatted values for all other cells.
FORMULA_OPTIONS = {**READ_OPTIONS, "valueRenderOption": "FORMULA"}
DISABLED_API_REASONS = ("SERVICE_DISABLED", "ACCESS_NOT_CONFIGURED")


def encode_batch(requests: list[dict[str, Any]]) -> bytes:
    """Return the body of a ``spreadsheets.batchUpdate`` as pipesheet sends it.

    gspread 6 hands the body to requests' ``json=``, which puts a space after
    every ``:`` and ``,`` and escapes each non-ASCII character to 6 bytes.
    Compact UTF-8 JSON is smaller, and its length is what the write checks
    against Google's request limit.
    """
    return encode_json({"requests": requests})


def encode_json(value: object) -> bytes:
    """Return ``value`` as compact UTF-8 JSON, as pipesheet sends request bodies."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SheetsSession:
    """Requests to one spreadsheet, signed in as one service account.

    :param key: the spreadsheet id.
    :param account: the service account, when its key file is known; messages
        name its e-mail address.
    """

    def __init__(
        self,
        key: str,
        client: gspread.Client,
        caller: SheetsCaller,
        account: ServiceAccount | None,
    ) -> None:
        self.key = key
        self.caller = caller
        self.account = account
        self.title: str | None = None
        self._http = client.http_client

    @property
    def name(self) -> str:
        """Return the spreadsheet's title once read, else its id."""
        return self.title if self.title is not None else self.key

    def read_metadata(self) -> SpreadsheetInfo:
        """Read the spreadsheet's tabs and objects with one ``spreadsheets.get``."""
        params: dict[str, Any] = {
            "fields": SPREADSHEET_FIELDS,
            "includeGridData": "false",
        }
        data = self.read(
            "spreadsheets.get",
            lambda: self._http.fetch_sheet_metadata(self.key, params),
        )
        info = parse_spreadsheet(dict(data))
        self.title = info.title
        self.caller.workbook = f"spreadsheet {info.title!r}"
        return info

    def read_values(
        self,
        ranges: list[str],
        operation: str,
        *,
        formatted_dates: bool = False,
        formulas: bool = False,
    ) -> list[dict[str, Any]]:
        """Return the ValueRanges of one ``values.batchGet``, in the order asked.

        :param formatted_dates: return date, time and duration cells as the text
            they show instead of serial numbers.
        :param formulas: return formula cells as their formula text.
        """
        return self.read(
            operation, lambda: self.values_once(ranges, formatted_dates, formulas)
        )

    def values_once(
        self, ranges: list[str], formatted_dates: bool = False, formulas: bool = False
    ) -> list[dict[str, Any]]:
        """Send one ``values.batchGet`` without retries or error translation."""
        options = READ_OPTIONS
        if formulas:
            options = FORMULA_OPTIONS
        elif formatted_dates:
            options = FORMATTED_DATES_OPTIONS
        answer = self._http.values_batch_get(self.key, ranges, dict(options))
        value_ranges: list[dict[str, Any]] = answer.get("valueRanges", [])
        return value_ranges

    def read(self, operation: str, send: Callable[[], T]) -> T:
        """Send a read with retries; Google's refusals become readable errors."""
        try:
            return self.caller.read(operation, send)
        except SheetsRequestError as error:
            raise self.access_error(error, writing=False) from error

    def batch_update(
        self,
        operation: str,
        requests: list[dict[str, Any]],
        *,
        idempotent: bool,
        body: bytes | None = None,
    ) -> None:
        """Send one ``spreadsheets.batchUpdate``; errors are left to the caller.

        :param body: ``requests`` already encoded by :func:`encode_batch`.
        :raises SheetsRequestError: Google rejected the batch.
        :raises AmbiguousWriteError: the batch may or may not have been applied.
        """
        data = encode_batch(requests) if body is None else body
        url = SPREADSHEET_BATCH_UPDATE_URL % self.key
        headers = {"Content-Type": "application/json"}
        self.caller.write(
            operation,
            lambda: self._http.request("post", url, data=data, headers=headers),
            idempotent=idempotent,
        )

    def access_error(
        self,
        error: SheetsRequestError,
        *,
        writing: bool,
        outcome: str = "so nothing was written",
    ) -> PipesheetError:
        """Return the error a user sees for a request Google refused for good.

        :param outcome: the clause saying what a refused write means, for the
            view-only message; ``doctor``'s access check writes nothing.
        """
        if error.status == 404:
            return WorkbookNotFoundError(
                f"Spreadsheet {self.key!r} not found (HTTP 404 from Google). Check "
                "source.spreadsheet: copy the address from the browser while the "
                f"sheet is open. If the address is right, {self._share_advice()}."
            )
        if error.status == 403:
            return self._forbidden_error(error, writing=writing, outcome=outcome)
        if error.status == 401:
            path = f" in {str(self.account.path)!r}" if self.account else ""
            return SourceError(
                f"Google rejected the credentials of {self._account_name()}"
                f"{self._token_host(error)} ({error.api_message}). The key{path} "
                f"may have been deleted or disabled. {KEY_ADVICE}"
            )
        if _is_office_file_error(error):
            return SourceError(
                f"Spreadsheet {self.key!r} is a file stored in Google Drive, such as "
                "an .xlsx uploaded without conversion, not a Google Sheets "
                f"spreadsheet (HTTP 400 {error.reason} from Google: "
                f"{error.api_message}). Open it in Google Sheets, choose File > "
                "Save as Google Sheets, and put the new spreadsheet's address in "
                "source.spreadsheet. Or download it (File > Download > Microsoft "
                "Excel) and set source to {kind: excel, path: <the file>}."
            )
        rejected = (
            f"Google Sheets rejected {error.operation} on spreadsheet "
            f"{self.name!r}: HTTP {error.status} {error.reason}: {error.api_message}"
        )
        if writing and error.status == 400:
            return SourceError(
                f"{rejected.rstrip('.')}. The write is one batch that Google "
                "applies whole or not at all, so nothing was written. The next "
                "run tries again. If this error repeats, run the same command "
                "with -vv after 'pipesheet' (pipesheet -vv run ...) and report "
                "its output with this message."
            )
        return SourceError(rejected)

    def _forbidden_error(
        self, error: SheetsRequestError, *, writing: bool, outcome: str
    ) -> SourceError:
        account = self._account_name()
        if error.reason in DISABLED_API_REASONS:
            return SourceError(
                f"The Google Sheets API is not enabled in the Cloud project of "
                f"{account} ({error.api_message}). Enable 'Google Sheets API' under "
                "APIs & Services > Library in the Google Cloud console, wait a few "
                "minutes, then run again."
            )
        if writing and is_protected_cell_error(error):
            email = self.account.email if self.account else None
            reason = (
                f'Google Sheets rejected {error.operation} ("{error.api_message}"), '
                "so nothing was written."
            )
            return protection_error(self.name, email, [], reason)
        subject = account[0].upper() + account[1:]
        advice = self._share_advice()
        advice = advice[0].upper() + advice[1:]
        if writing:
            return SourceError(
                f"{subject} may view spreadsheet {self.name!r} but not edit it, "
                f"{outcome}. {advice}, then run again."
            )
        return SourceError(
            f"{subject} has no access to spreadsheet {self.key!r} (HTTP 403 "
            f"{error.reason} from Google). {advice}, then run again."
        )

    def _token_host(self, error: SheetsRequestError) -> str:
        """Return " at <host>" for the key file's token endpoint, if it refused.

        A 401 from the Sheets API itself names no host, because the request
        went to the spreadsheet's own server.
        """
        if error.reason != CREDENTIALS_REJECTED or self.account is None:
            return ""
        host = urlsplit(str(self.account.info.get("token_uri", ""))).netloc
        return f" at its token endpoint {host}" if host else ""

    def _account_name(self) -> str:
        if self.account is None:
            return "the service account"
        return f"the service account {self.account.email!r}"

    def _share_advice(self) -> str:
        if self.account is None:
            return (
                "share the spreadsheet as Editor with the e-mail address "
                "(client_email) in the service account's JSON key file"
            )
        return (
            f"share the spreadsheet with {self.account.email} as Editor (Share "
            "button in Google Sheets)"
        )


# Google's message when a spreadsheet id names a Drive file that the Sheets
# API cannot open, such as an uploaded .xlsx kept in Office format.
OFFICE_FILE_MESSAGE = "not supported for this document"


def _is_office_file_error(error: SheetsRequestError) -> bool:
    """Return True if Google rejected the id as a Drive file, not a spreadsheet."""
    return (
        error.status == 400
        and error.reason == "FAILED_PRECONDITION"
        and OFFICE_FILE_MESSAGE in error.api_message.casefold()
    )
