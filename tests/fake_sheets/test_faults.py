from __future__ import annotations

import pytest
import requests

from tests.fake_sheets.conftest import Client
from tests.fake_sheets.exchange import ApiRequest
from tests.fake_sheets.fake import FakeSheets
from tests.fake_sheets.store import Store

OTHER_USER = "colleague@example.com"


def _read(client: Client, spreadsheet_id: str) -> int:
    return client.call("GET", client.values_path(spreadsheet_id, "'Deals'!A1")).status


def _write(client: Client, spreadsheet_id: str, text: str = "x") -> int:
    path = client.values_path(spreadsheet_id, "'Deals'!A1")
    reply = client.call("PUT", path, {"values": [[text]]}, query="valueInputOption=RAW")
    return reply.status


def test_fail_next_answers_then_recovers(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.faults.fail_next(2, status=503)

    statuses = [_read(client, spreadsheet_id) for _ in range(3)]

    assert statuses == [503, 503, 200]


@pytest.mark.parametrize(
    ("status", "body_status", "message"),
    [
        (500, "INTERNAL", "Internal error encountered."),
        (503, "UNAVAILABLE", "The service is currently unavailable."),
    ],
    ids=["500", "503"],
)
def test_injected_error_body_matches_status(
    fake: FakeSheets,
    client: Client,
    spreadsheet_id: str,
    status: int,
    body_status: str,
    message: str,
) -> None:
    fake.faults.fail_next(1, status=status)

    reply = client.call("GET", f"/v4/spreadsheets/{spreadsheet_id}")

    assert reply.status == status
    assert reply.json() == {
        "error": {"code": status, "message": message, "status": body_status}
    }


def test_injected_429_is_quota_error(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.faults.fail_next(1, status=429)

    error = client.call("GET", f"/v4/spreadsheets/{spreadsheet_id}").json()["error"]

    assert error["code"] == 429
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
        "minute per user' of service 'sheets.googleapis.com'"
    )
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


def test_fail_when_matches_operation(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    def is_update(request: ApiRequest) -> bool:
        return request.operation == "values.update"

    fake.faults.fail_when(is_update, status=500, times=1)

    statuses = [
        _read(client, spreadsheet_id),
        _write(client, spreadsheet_id),
        _write(client, spreadsheet_id),
    ]

    assert statuses == [200, 500, 200]


def test_failed_call_changes_nothing(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.faults.fail_next(1, status=500)

    _write(client, spreadsheet_id, "lost")

    assert fake.read(spreadsheet_id, "Deals!A1") == []


def test_dropped_reply_raises_timeout_in_process(
    fake: FakeSheets, spreadsheet_id: str
) -> None:
    fake.faults.drop_after_write()
    url = (
        f"https://sheets.googleapis.com/v4/spreadsheets/{spreadsheet_id}/values/"
        "Deals%21A1?valueInputOption=RAW"
    )

    with fake.responses(), pytest.raises(requests.exceptions.ReadTimeout):
        requests.put(url, json={"values": [["committed"]]}, timeout=5)

    assert fake.read(spreadsheet_id, "Deals!A1") == [["committed"]]


def test_dropped_reply_closes_loopback_connection(
    fake: FakeSheets, spreadsheet_id: str
) -> None:
    fake.faults.drop_after_write()

    with (
        requests.Session() as session,
        fake.serve() as server,
        pytest.raises(requests.exceptions.ConnectionError),
    ):
        session.trust_env = False
        session.put(
            f"{server.base_url}/v4/spreadsheets/{spreadsheet_id}/values/Deals%21A1",
            params={"valueInputOption": "RAW"},
            json={"values": [["committed"]]},
            timeout=5,
        )

    assert fake.read(spreadsheet_id, "Deals!A1") == [["committed"]]


def test_reads_are_dropped_only_when_matched(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.faults.drop_after_write()

    read = client.call("GET", client.values_path(spreadsheet_id, "'Deals'!A1"))
    write = client.call(
        "PUT",
        client.values_path(spreadsheet_id, "'Deals'!A1"),
        {"values": [["x"]]},
        query="valueInputOption=RAW",
    )

    assert read.dropped is False
    assert write.dropped is True


class FakeClock:
    """A clock in seconds that advances only when a test moves it."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_quota_rejects_sixty_first_read(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    clock = FakeClock()
    fake.faults.limit_quota(clock)

    first_sixty = [_read(client, spreadsheet_id) for _ in range(60)]
    sixty_first = client.call("GET", client.values_path(spreadsheet_id, "'Deals'!A1"))

    assert first_sixty == [200] * 60
    assert sixty_first.status == 429
    assert (
        sixty_first.json()["error"]["details"][0]["metadata"]["quota_limit_value"]
        == "60"
    )


def test_quota_refills_after_a_minute(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    clock = FakeClock()
    fake.faults.limit_quota(clock, reads_per_minute=2)
    statuses = [_read(client, spreadsheet_id) for _ in range(3)]

    clock.seconds += 60
    statuses.append(_read(client, spreadsheet_id))

    assert statuses == [200, 200, 429, 200]


def test_quota_buckets_are_separate(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    clock = FakeClock()
    fake.faults.limit_quota(clock, reads_per_minute=1, writes_per_minute=1)
    fake.store.share(spreadsheet_id, OTHER_USER, "writer")
    fake.store.tokens.update({"me": fake.store.default_user, "other": OTHER_USER})
    path = client.values_path(spreadsheet_id, "'Deals'!A1")

    statuses = [
        client.call("GET", path, headers={"Authorization": "Bearer me"}).status,
        client.call("GET", path, headers={"Authorization": "Bearer other"}).status,
        client.call(
            "PUT",
            path,
            {"values": [["x"]]},
            query="valueInputOption=RAW",
            headers={"Authorization": "Bearer me"},
        ).status,
        client.call(
            "GET",
            f"/drive/v3/files/{spreadsheet_id}",
            headers={"Authorization": "Bearer me"},
        ).status,
        client.call("GET", path, headers={"Authorization": "Bearer me"}).status,
    ]

    assert statuses == [200, 200, 200, 200, 429]


def test_write_quota_message_names_writes(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.faults.limit_quota(FakeClock(), writes_per_minute=0)

    path = client.values_path(spreadsheet_id, "'Deals'!A1")
    reply = client.call("PUT", path, {"values": [["x"]]}, query="valueInputOption=RAW")

    assert "'Write requests per minute per user'" in reply.json()["error"]["message"]


def test_concurrent_edit_runs_before_call(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    def user_sorts_sheet(store: Store) -> None:
        fake.write(spreadsheet_id, "Deals!A1", [["edited meanwhile"]])

    fake.faults.before_call(2, user_sorts_sheet)

    first = client.call("GET", client.values_path(spreadsheet_id, "'Deals'!A1")).json()
    second = client.call("GET", client.values_path(spreadsheet_id, "'Deals'!A1")).json()

    assert "values" not in first
    assert second["values"] == [["edited meanwhile"]]


def test_clear_removes_faults(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.faults.fail_next(5, status=503)
    fake.faults.limit_quota(FakeClock(), reads_per_minute=0)

    fake.faults.clear()

    assert _read(client, spreadsheet_id) == 200
