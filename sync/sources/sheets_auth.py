"""Find and load the Google service account pipesheet signs in as, and build its client.

The key file comes from ``source.credentials`` in the definition, else from the
environment variable ``PIPESHEET_GOOGLE_CREDENTIALS``, else from
``GOOGLE_APPLICATION_CREDENTIALS``. The account's e-mail address is what a
spreadsheet must be shared with, so every access error names it.

``PIPESHEET_SHEETS_ENDPOINT`` (for example ``http://127.0.0.1:8080``) sends the
Sheets API requests to another server instead of ``sheets.googleapis.com``. It
exists for tests and demos against a local fake of the API; leave it unset in
production.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gspread
from google.oauth2 import service_account
from gspread.http_client import HTTPClient

from config.errors import DefinitionError, SourceError
from config.file_kinds import non_regular_kind
from sync.state.keys import SPREADSHEET_URL_ID

logger = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
CREDENTIALS_VARIABLES = (
    "PIPESHEET_GOOGLE_CREDENTIALS",
    "GOOGLE_APPLICATION_CREDENTIALS",
)
ENDPOINT_VARIABLE = "PIPESHEET_SHEETS_ENDPOINT"
SHEETS_BASE_URL = "https://sheets.googleapis.com"
REQUIRED_KEYS = ("client_email", "private_key", "token_uri")

# "Publish to the web" gives .../spreadsheets/d/e/<token>/pubhtml. The token is
# not the spreadsheet id, so the API cannot open the spreadsheet with it.
_PUBLISHED_URL = re.compile(r"/spreadsheets/(?:u/\d+/)?d/e/")
_SPREADSHEET_ID = re.compile(r"[A-Za-z0-9_-]{20,}")

KEY_ADVICE = (
    "In the Google Cloud console open IAM & Admin > Service accounts, choose "
    "the account, then Keys > Add key > Create new key > JSON, and point "
    "source.credentials (or PIPESHEET_GOOGLE_CREDENTIALS) at the downloaded file."
)


@dataclass(frozen=True)
class ServiceAccount:
    """A service-account key file, read and checked.

    ``origin`` names where the path came from (``source.credentials`` or an
    environment variable), so messages point at the setting to fix. ``info``
    contains the private key and is never shown.
    """

    path: Path
    origin: str
    email: str
    info: dict[str, Any] = field(repr=False)


def find_credentials_file(configured: Path | None) -> tuple[Path, str] | None:
    """Return the key file's path and the setting that named it, if any did."""
    if configured is not None:
        return configured, "source.credentials"
    for variable in CREDENTIALS_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return Path(value).expanduser(), variable
    return None


def load_service_account(configured: Path | None) -> ServiceAccount:
    """Find and read the service-account key file; no network is used.

    :raises SourceError: no key file is configured, or it is missing,
        unreadable, or not a service-account key.
    """
    found = find_credentials_file(configured)
    if found is None:
        variables = " or ".join(CREDENTIALS_VARIABLES)
        raise SourceError(
            "No Google credentials are configured. Set source.credentials in the "
            f"definition, or the environment variable {variables}, to the path "
            f"of a service account's JSON key file. {KEY_ADVICE}"
        )

    path, origin = found
    info = _read_key_file(path, origin)
    _check_key(info, path, origin)
    return ServiceAccount(path, origin, str(info["client_email"]), info)


def _read_key_file(path: Path, origin: str) -> Any:
    try:
        kind = non_regular_kind(path)
        if kind is not None:
            raise SourceError(
                f"Google credentials file {str(path)!r} (from {origin}) is "
                f"{kind}, not a regular file. Check {origin}. {KEY_ADVICE}"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(
            f"Google credentials file {str(path)!r} (from {origin}) not found. "
            f"Check {origin}. {KEY_ADVICE}"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(
            f"Google credentials file {str(path)!r} (from {origin}) could not be "
            f"read: {error}. Check that it is the JSON key file and readable by "
            "the user pipesheet runs as."
        ) from error

    try:
        return json.loads(text)
    except ValueError as error:
        raise SourceError(
            f"Google credentials file {str(path)!r} (from {origin}) is not valid "
            f"JSON ({error}). {KEY_ADVICE}"
        ) from error


def _check_key(info: Any, path: Path, origin: str) -> None:
    kind = info.get("type") if isinstance(info, dict) else None
    if kind != "service_account":
        found = f"a {kind!r} file" if kind else "not a key file"
        if isinstance(info, dict) and ("installed" in info or "web" in info):
            found = "an OAuth client ID file"
        raise SourceError(
            f"Google credentials file {str(path)!r} (from {origin}) is {found}, "
            "not a service-account key; pipesheet signs in as a service account. "
            f"{KEY_ADVICE}"
        )

    missing = [key for key in REQUIRED_KEYS if not info.get(key)]
    if missing:
        raise SourceError(
            f"Google credentials file {str(path)!r} (from {origin}) lacks "
            f"{', '.join(missing)}, so it is damaged or was edited. {KEY_ADVICE}"
        )


def build_client(account: ServiceAccount) -> gspread.Client:
    """Return a gspread client signed in as the service account.

    :raises SourceError: the private key in the file cannot be read.
    """
    try:
        credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            account.info, scopes=list(SCOPES)
        )
    except ValueError as error:
        raise SourceError(
            f"The private key in Google credentials file {str(account.path)!r} "
            f"(from {account.origin}) cannot be read: {error}. {KEY_ADVICE}"
        ) from error

    endpoint = os.environ.get(ENDPOINT_VARIABLE, "").strip().rstrip("/")
    if not endpoint:
        return gspread.Client(credentials)

    logger.warning(
        "Sending Google Sheets requests to %s (set by %s), not to Google",
        endpoint,
        ENDPOINT_VARIABLE,
    )
    client = gspread.Client(credentials, http_client=redirected_http_client(endpoint))
    # Proxy settings would send requests for a local server elsewhere.
    client.http_client.session.trust_env = False
    return client


def redirected_http_client(base_url: str) -> type[HTTPClient]:
    """Return an ``HTTPClient`` class that sends Sheets requests to ``base_url``.

    gspread builds its URLs from constants copied into several modules at
    import time, so rewriting the URL of each request is the one hook it has.
    """

    class RedirectedHTTPClient(HTTPClient):
        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
            if endpoint.startswith(SHEETS_BASE_URL):
                endpoint = base_url + endpoint[len(SHEETS_BASE_URL) :]
            return super().request(method, endpoint, *args, **kwargs)

    return RedirectedHTTPClient


def spreadsheet_key(spreadsheet: str, setting: str = "source.spreadsheet") -> str:
    """Return the id of a spreadsheet given by its URL or its id.

    ``https://docs.google.com/spreadsheets/d/1AbC.../edit#gid=0`` → ``1AbC...``,
    and the same for ``.../spreadsheets/u/1/d/1AbC.../edit``.

    :param setting: where the text came from, ``--source`` or
        ``source.spreadsheet``; the messages name it.
    :raises DefinitionError: the text is neither, or is the address of a copy
        published to the web.
    """
    text = spreadsheet.strip()
    if _PUBLISHED_URL.search(text):
        raise DefinitionError(
            f"{setting} {spreadsheet!r} is the address of a copy published to the "
            "web, which does not contain the spreadsheet id. Open the spreadsheet "
            "itself and copy the address from the browser "
            f"(https://docs.google.com/spreadsheets/d/<id>/edit) into {setting}."
        )
    match = SPREADSHEET_URL_ID.search(text)
    if match:
        return match.group(1)
    if _SPREADSHEET_ID.fullmatch(text):
        return text
    raise DefinitionError(
        f"{setting} {spreadsheet!r} is neither a Google Sheets URL nor a "
        "spreadsheet id. Copy the address from the browser while the sheet is "
        "open (https://docs.google.com/spreadsheets/d/<id>/edit) and paste it "
        f"as {setting}."
    )
