"""Injectable faults: error responses, lost responses, quota limits, concurrent edits.

Examples::

    faults.fail_next(2, status=503)                     # next two calls fail
    faults.fail_when(lambda r: r.operation == "values.update", status=500, times=1)
    faults.drop_after_write()                           # next write commits, reply lost
    faults.limit_quota(clock)                           # 60 reads/60 writes per minute
    faults.before_call(3, lambda store: ...)            # edit the store before call 3

Failures are decided before the store is touched, so a failed call changes
nothing. A dropped reply is decided after the call committed.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass

from tests.fake_sheets.errors import ApiError
from tests.fake_sheets.exchange import ApiRequest, Reply
from tests.fake_sheets.store import Store

Predicate = Callable[[ApiRequest], bool]
Mutation = Callable[[Store], None]

QUOTA_WINDOW_SECONDS = 60.0
QUOTA_PROJECT_NUMBER = "000000000000"


@dataclass
class _FailureRule:
    status: int
    remaining: int | None
    when: Predicate | None

    def applies(self, request: ApiRequest) -> bool:
        return self.when is None or self.when(request)


@dataclass
class _DropRule:
    remaining: int
    when: Predicate | None

    def applies(self, request: ApiRequest) -> bool:
        if self.when is not None:
            return self.when(request)
        return request.quota == "write"


def quota_error(bucket: str, limit: int) -> ApiError:
    """Return the 429 RESOURCE_EXHAUSTED error for a spent per-user quota.

    NOTE: the message text follows recorded errors; the ErrorInfo metadata keys
    are reconstructed, not recorded.
    """
    metric = "Read requests" if bucket == "read" else "Write requests"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute "
        f"per user' of service 'sheets.googleapis.com' for consumer "
        f"'project_number:{QUOTA_PROJECT_NUMBER}'."
    )
    limit_name = (
        "ReadRequestsPerMinutePerUser"
        if bucket == "read"
        else "WriteRequestsPerMinutePerUser"
    )
    detail = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {
            "service": "sheets.googleapis.com",
            "quota_metric": f"sheets.googleapis.com/{bucket}_requests",
            "quota_limit": limit_name,
            "quota_limit_value": str(limit),
            "consumer": f"projects/{QUOTA_PROJECT_NUMBER}",
            "quota_location": "global",
        },
    }
    return ApiError(429, message, details=[detail])


def _injected_error(status: int, request: ApiRequest) -> ApiError:
    if status == 429:
        return quota_error("write" if request.quota == "write" else "read", 60)
    if status in (500, 503, 401, 403, 404):
        return ApiError(status)
    return ApiError(status, f"Injected error {status}.")


class Faults:
    """Faults the handler applies to the calls it serves; all off by default."""

    def __init__(self) -> None:
        self._failures: list[_FailureRule] = []
        self._drops: list[_DropRule] = []
        self._mutations: dict[int, list[Mutation]] = collections.defaultdict(list)
        self._clock: Callable[[], float] | None = None
        self._limits = {"read": 60, "write": 60}
        self._history: dict[tuple[str, str], collections.deque[float]] = (
            collections.defaultdict(collections.deque)
        )

    def fail_next(
        self, count: int, status: int = 503, *, when: Predicate | None = None
    ) -> None:
        """Fail the next ``count`` calls (matching ``when``) with ``status``."""
        self._failures.append(_FailureRule(status, count, when))

    def fail_when(
        self, when: Predicate, status: int = 500, *, times: int | None = None
    ) -> None:
        """Fail calls matching ``when`` with ``status``, ``times`` times or always."""
        self._failures.append(_FailureRule(status, times, when))

    def drop_after_write(
        self, count: int = 1, *, when: Predicate | None = None
    ) -> None:
        """Commit the next ``count`` writes (or calls matching ``when``) but lose
        their replies, as when a response times out after the server applied it."""
        self._drops.append(_DropRule(count, when))

    def limit_quota(
        self,
        clock: Callable[[], float],
        *,
        reads_per_minute: int = 60,
        writes_per_minute: int = 60,
    ) -> None:
        """Reject calls with 429 once a user made this many reads or writes in 60 s.

        ``clock`` returns seconds (any epoch); tests pass a fake one they advance.
        Drive calls do not count, as Drive has its own quota.
        NOTE: a sliding 60-second window is assumed; Google does not document
        whether its per-minute buckets slide or reset.
        """
        self._clock = clock
        self._limits = {"read": reads_per_minute, "write": writes_per_minute}
        self._history.clear()

    def before_call(self, number: int, mutation: Mutation) -> None:
        """Run ``mutation(store)`` just before serving call ``number`` (from 1)."""
        self._mutations[number].append(mutation)

    def clear(self) -> None:
        """Remove every fault, quota limit and pending mutation."""
        self._failures.clear()
        self._drops.clear()
        self._mutations.clear()
        self._clock = None
        self._history.clear()

    def before(self, request: ApiRequest, store: Store, user: str) -> Reply | None:
        """Apply the faults due before a call; return a reply to send instead."""
        for mutation in self._mutations.pop(request.number, []):
            mutation(store)

        for rule in list(self._failures):
            if not rule.applies(request):
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failures.remove(rule)
            return Reply.from_error(_injected_error(rule.status, request))
        return self._check_quota(request, user)

    def _check_quota(self, request: ApiRequest, user: str) -> Reply | None:
        if self._clock is None or request.quota == "drive":
            return None
        now = self._clock()
        history = self._history[(user, request.quota)]
        while history and history[0] <= now - QUOTA_WINDOW_SECONDS:
            history.popleft()
        limit = self._limits[request.quota]
        if len(history) >= limit:
            return Reply.from_error(quota_error(request.quota, limit))
        history.append(now)
        return None

    def after(self, request: ApiRequest, reply: Reply) -> Reply:
        """Apply the faults due after a call: lose the reply of a committed write."""
        if reply.status >= 400:
            return reply
        for rule in list(self._drops):
            if not rule.applies(request):
                continue
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._drops.remove(rule)
            return Reply(reply.status, reply.headers, reply.body, dropped=True)
        return reply
