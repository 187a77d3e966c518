"""One API call as the endpoint functions see it: caller, query and JSON body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fake_sheets.errors import ApiError, invalid_argument
from tests.fake_sheets.store import Store


@dataclass
class Call:
    """The parts of an HTTP request an endpoint needs, already decoded.

    ``query`` maps each parameter to all its values (``ranges`` repeats).
    ``body`` is the parsed JSON body, or ``None``; ``raw_body`` the bytes as sent.
    """

    store: Store
    user: str
    query: dict[str, list[str]] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""

    def param(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of a query parameter, or ``default``."""
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        """Return a boolean query parameter; gspread sends ``True``/``False``."""
        return (self.param(name) or "").lower() == "true"

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        """Return an enum query parameter, or raise the API's 400 for a bad value."""
        return check_choice(name, self.param(name), allowed, default)

    def json_body(self) -> dict[str, Any]:
        """Return the body as a JSON object; ``{}`` when the request had none."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise invalid_argument("Invalid JSON payload received. Expected an object.")
        return self.body


def check_choice(name: str, value: Any, allowed: tuple[str, ...], default: str) -> str:
    """Return an enum value (``None`` gives ``default``), or raise the API's 400."""
    if value is None:
        return default
    if value not in allowed:
        raise ApiError(
            400, f"Invalid value at '{name}' ({value!r}): expected one of {allowed}"
        )
    return str(value)
