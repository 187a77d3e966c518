"""Bounded retries of Google Sheets API requests, and a count of every request sent.

A request is retried when Google responds with 408, 429, 500, 502, 503 or 504,
or when the connection fails or times out. The wait before retry ``n`` is a random time
between 0 and ``first_delay * 2 ** (n - 1)`` seconds, capped at ``max_delay``
("full jitter", so workers sharing a quota do not retry in step). A
``Retry-After`` header or a ``google.rpc.RetryInfo`` delay from Google sets the
minimum wait. All requests of one :class:`SheetsCaller` share one deadline: no
wait may end after it, so a run spends at most the deadline waiting, plus the
per-request timeout of the request in flight.

A write that is not idempotent is never retried blindly. When its failure
leaves open whether Google applied it (a 5xx response, a lost connection, a
timeout), :class:`AmbiguousWriteError` goes to the caller, which re-reads the
spreadsheet to find out. A 429 is retried even then, because Google rejects a
request for quota before applying any of it.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError

from config.errors import QuotaExceededError, SourceError
from sync.sources.request_tally import REQUESTS_SENT

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
QUOTA_STATUS = 429
INTERNAL_ERROR_STATUS = 500
CREDENTIALS_REJECTED = "CREDENTIALS_REJECTED"
"""The reason of a :class:`SheetsRequestError` for a token request refused."""
_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


class Clock(Protocol):
    """The time source and sleeper of the retry loop; tests pass a fake one."""

    def monotonic(self) -> float:
        """Return seconds from an arbitrary start, never going back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait with :func:`time.sleep`."""
        time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry.

    :param deadline_seconds: time from the first request after which no retry
        starts.
    :param max_attempts: attempts per request, the first one included; requests
        rejected for quota are retried until the deadline instead.
    :param first_delay: cap of the first wait, in seconds; it doubles per retry.
    :param max_delay: largest cap of one wait, in seconds.
    """

    deadline_seconds: float = 180.0
    max_attempts: int = 10
    first_delay: float = 1.0
    max_delay: float = 32.0


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified for the retry loop.

    ``maybe_applied`` is True when Google may have applied the request anyway:
    the request reached it and no response proved that it was rejected.
    """

    reason: str
    quota: bool
    maybe_applied: bool
    retry_after: float | None = None
    # The HTTP status of Google's response, or None when no response came.
    status: int | None = None


class SheetsRequestError(SourceError):
    """Google responded with an error that retrying cannot fix (400, 401, 403, 404).

    ``reason`` is the ``ErrorInfo`` reason when Google gave one (for example
    ``SERVICE_DISABLED``), else the error's ``status`` text.
    """

    def __init__(self, operation: str, status: int, message: str, reason: str) -> None:
        super().__init__(
            f"Google Sheets {operation} failed with HTTP {status} ({reason}): {message}"
        )
        self.operation = operation
        self.status = status
        self.api_message = message
        self.reason = reason


class AmbiguousWriteError(SourceError):
    """A write failed in a way that leaves open whether Google applied it."""

    def __init__(self, operation: str, failure: Failure) -> None:
        super().__init__(
            f"Google Sheets {operation} failed ({failure.reason}); Google may "
            "or may not have applied it."
        )
        self.failure = failure


@dataclass
class RequestCounts:
    """Requests sent to Google, retries included, by quota bucket."""

    reads: int = 0
    writes: int = 0

    @property
    def total(self) -> int:
        """Reads plus writes."""
        return self.reads + self.writes


class SheetsCaller:
    """Send Sheets API requests with bounded retries, counting every attempt.

    :param workbook: how messages name the spreadsheet; update it once the
        title is known.
    :param random_source: source of the jitter; tests pass a seeded one.
    :param account_email: the service account's e-mail address, which the
        error after a run of 500s names, or None when it is not known.
    """

    def __init__(
        self,
        *,
        workbook: str,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        random_source: random.Random | None = None,
        account_email: str | None = None,
    ) -> None:
        self.workbook = workbook
        self.account_email = account_email
        self.policy = policy or RetryPolicy()
        self.counts = RequestCounts()
        self._clock = clock or SystemClock()
        self._random = random_source or random.Random()
        self._deadline: float | None = None

    def read(self, operation: str, send: Callable[[], T]) -> T:
        """Send a read, retrying every retryable failure."""
        return self._call(operation, send, write=False, idempotent=True)

    def write(self, operation: str, send: Callable[[], T], *, idempotent: bool) -> T:
        """Send a write; one that is not idempotent is retried only on 429.

        :raises AmbiguousWriteError: a non-idempotent write failed and Google
            may have applied it.
        """
        return self._call(operation, send, write=True, idempotent=idempotent)

    def wait_before_retry(self, operation: str, failure: Failure, attempt: int) -> None:
        """Wait as before retry ``attempt``, or raise when the deadline is too near.

        For callers that retry a write themselves after checking that an
        ambiguous failure did not apply it.
        """
        delay = self._next_delay(failure, attempt)
        if delay is None:
            raise self._give_up(operation, failure, attempt)
        self._wait(operation, failure, attempt, delay)

    def _call(
        self, operation: str, send: Callable[[], T], *, write: bool, idempotent: bool
    ) -> T:
        self._start_deadline()
        attempt = 0
        while True:
            attempt += 1
            if write:
                self.counts.writes += 1
            else:
                self.counts.reads += 1
            REQUESTS_SENT.add_request()

            started = self._clock.monotonic()
            try:
                result = send()
            except (
                APIError,
                requests.RequestException,
                auth_exceptions.GoogleAuthError,
            ) as error:
                failure = classify_failure(operation, error)
                if failure.maybe_applied and not idempotent:
                    raise AmbiguousWriteError(operation, failure) from error
                self.wait_before_retry(operation, failure, attempt)
                continue

            elapsed = self._clock.monotonic() - started
            logger.info("Google Sheets %s took %.2f s", operation, elapsed)
            return result

    def _start_deadline(self) -> None:
        if self._deadline is None:
            self._deadline = self._clock.monotonic() + self.policy.deadline_seconds

    def _next_delay(self, failure: Failure, attempt: int) -> float | None:
        # Quota refills by the minute, so only the deadline bounds its retries.
        if attempt >= self.policy.max_attempts and not failure.quota:
            return None
        cap = min(self.policy.max_delay, self.policy.first_delay * 2 ** (attempt - 1))
        delay = self._random.uniform(0, cap)
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)

        self._start_deadline()
        assert self._deadline is not None
        if self._clock.monotonic() + delay > self._deadline:
            return None
        return delay

    def _wait(
        self, operation: str, failure: Failure, attempt: int, delay: float
    ) -> None:
        logger.warning(
            "Google Sheets %s on %s failed (%s); retry %d in %.1f s",
            operation,
            self.workbook,
            failure.reason,
            attempt,
            delay,
        )
        self._clock.sleep(delay)

    def _give_up(self, operation: str, failure: Failure, attempts: int) -> SourceError:
        if self._requested_wait_past_deadline(failure):
            return self._long_wait_error(operation, failure)
        waited = self.policy.deadline_seconds
        tries = _attempts(attempts)
        if failure.quota:
            rejected = (
                "kept rejecting requests" if attempts > 1 else "rejected a request"
            )
            return QuotaExceededError(
                f"Google Sheets {rejected} to {self.workbook} for quota "
                f"({failure.reason}) after {tries} of {operation} within the "
                f"{waited:.0f} s retry deadline. {_QUOTA_ADVICE}"
            )
        message = (
            f"Google Sheets did not complete {operation} on {self.workbook} after "
            f"{tries} within the {waited:.0f} s retry deadline (last "
            f"failure: {failure.reason}). Nothing more was written. Run again (a "
            "scheduled run retries by itself). Check the network, or "
            "https://www.google.com/appsstatus."
        )
        if failure.status == INTERNAL_ERROR_STATUS:
            message += " " + self.lost_access_hint()
        return SourceError(message)

    def _requested_wait_past_deadline(self, failure: Failure) -> bool:
        """Return True when the wait Google requested alone ends past the deadline."""
        if failure.retry_after is None or self._deadline is None:
            return False
        return self._clock.monotonic() + failure.retry_after > self._deadline

    def _long_wait_error(self, operation: str, failure: Failure) -> SourceError:
        """Return the error for a requested wait that would end past the deadline."""
        assert failure.retry_after is not None
        requested = (
            f"Google Sheets asked pipesheet to wait {failure.retry_after:,.0f} s "
            f"before sending {operation} to {self.workbook} again ({failure.reason}), "
            f"which is past the {self.policy.deadline_seconds:.0f} s retry deadline."
        )
        if failure.quota:
            return QuotaExceededError(f"{requested} {_QUOTA_ADVICE}")
        return SourceError(
            f"{requested} Nothing more was written. Run again after that wait (a "
            "scheduled run retries by itself)."
        )

    def lost_access_hint(self) -> str:
        """Return the advice, after only HTTP 500s, to check the account's access."""
        # A user report (burnash/gspread#714, 2019) shows Google returning
        # 500, not 403, after a shared drive made the service account a Viewer.
        account = (
            f"the service account {self.account_email}"
            if self.account_email
            else "the service account (client_email in its JSON key file)"
        )
        return (
            f"A 500 on every attempt can also mean that {account} lost its "
            "access or became a Viewer, also through a shared drive's members. "
            "Check that the spreadsheet's Share dialog still lists it as Editor; "
            "'pipesheet doctor' prints that address and tests access."
        )


_QUOTA_ADVICE = (
    "Nothing more was written. Run again (a scheduled run retries by itself). If "
    "this repeats, run pipesheet less often or give each worker its own service "
    "account."
)


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def classify_failure(operation: str, error: Exception) -> Failure:
    """Return how to treat a failed attempt, or raise when retrying cannot help.

    :raises SheetsRequestError: Google rejected the request for good (400, 403,
        404...) or refused the credentials.
    """
    if isinstance(error, APIError):
        return _classify_api_error(operation, error)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        # The connection was never made, so Google received nothing.
        return Failure("connection timed out", quota=False, maybe_applied=False)
    if isinstance(error, requests.exceptions.Timeout):
        return Failure("no answer before the timeout", quota=False, maybe_applied=True)
    if isinstance(error, requests.RequestException):
        reason = connection_failure(error)
        return Failure(reason, quota=False, maybe_applied=True)
    if isinstance(error, auth_exceptions.TransportError):
        # The access-token request failed, so the API request was not sent.
        reason = f"token request failed: {error}"
        return Failure(reason, quota=False, maybe_applied=False)
    if isinstance(error, auth_exceptions.RefreshError) and getattr(
        error, "retryable", False
    ):
        reason = f"token request failed: {error}"
        return Failure(reason, quota=False, maybe_applied=False)
    raise SheetsRequestError(
        operation, 401, token_rejection(error), CREDENTIALS_REJECTED
    ) from error


def connection_failure(error: requests.RequestException) -> str:
    """Return a short reason for a failed connection: the host and the cause.

    requests puts the whole URL, field mask included, and the wrapped urllib3
    errors into its message. This keeps the host and the operating system's
    reason, such as ``connection to 127.0.0.1:9 failed: Connection refused``.
    """
    host = "the server"
    url = error.request.url if error.request is not None else None
    if isinstance(url, str):
        parts = urlsplit(url)
        if parts.hostname:
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
    cause = _os_error_text(error) or type(error).__name__
    return f"connection to {host} failed: {cause}"


def _os_error_text(error: BaseException) -> str | None:
    """Return the ``strerror`` of the OSError under a requests error, if any."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        strerror = getattr(current, "strerror", None)
        if isinstance(current, OSError) and isinstance(strerror, str) and strerror:
            return strerror
        pending.extend(current.args)
        pending += [getattr(current, "reason", None), current.__cause__]
        pending.append(current.__context__)
    return None


def token_rejection(error: Exception) -> str:
    """Return the token endpoint's error response as one readable line.

    google-auth raises ``RefreshError(text, response_body)``, whose ``str`` is
    the tuple of both. An OAuth error body gives ``invalid_grant: Invalid JWT
    Signature.``; a Google API error body gives ``HTTP 401 UNAUTHENTICATED:
    Request had invalid authentication credentials.``.
    """
    body = error.args[1] if len(error.args) > 1 else None
    found = body.get("error") if isinstance(body, dict) else None
    if isinstance(found, dict):
        status = " ".join(
            str(part) for part in (found.get("code"), found.get("status")) if part
        )
        message = str(found.get("message") or "").strip()
        prefix = f"HTTP {status}" if status else "error"
        return f"{prefix}: {message}" if message else prefix
    if isinstance(found, str) and found:
        description = body.get("error_description") if isinstance(body, dict) else None
        return f"{found}: {description}" if description else found
    first = error.args[0] if error.args else error
    return str(first)


def _classify_api_error(operation: str, error: APIError) -> Failure:
    # The HTTP status is used, not the body's code, because a 502 from
    # Google's front end can carry an HTML page instead of a JSON error.
    status = error.response.status_code
    body = error.error
    status_text = str(body.get("status") or f"HTTP {status}")
    if status not in RETRYABLE_STATUSES:
        reason = _error_info_reason(body) or status_text
        message = str(body.get("message", ""))
        raise SheetsRequestError(operation, status, message, reason) from error

    return Failure(
        f"HTTP {status} {status_text}",
        quota=status == QUOTA_STATUS,
        maybe_applied=status != QUOTA_STATUS,
        retry_after=_retry_after(error.response, body),
        status=status,
    )


def _error_info_reason(body: Any) -> str | None:
    for detail in body.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason"):
            return str(detail["reason"])
    return None


def _retry_after(response: requests.Response, body: Any) -> float | None:
    """Return the wait Google asked for, in seconds, if it asked."""
    for detail in body.get("details") or []:
        if not isinstance(detail, dict):
            continue
        match = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
        if detail.get("@type", "").endswith("google.rpc.RetryInfo") and match:
            return float(match.group(1))

    header = response.headers.get("Retry-After")
    if header is None:
        return None
    if header.strip().isdecimal():
        return float(header)
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    date_header = response.headers.get("Date")
    now = parsedate_to_datetime(date_header) if date_header else None
    if now is None or moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())
