"""A fake OAuth token endpoint beside the fake Sheets API, for service-account sign-in.

A service-account key file whose ``token_uri`` points at ``/token`` on the
loopback server lets google-auth sign in for real: it signs a JWT with the
file's private key and posts it here. The fake reads the ``iss`` claim (the
service account's e-mail address) without checking the signature, hands out
a new bearer token and registers it in the store, so later API calls act as
that service account::

    with FakeSheetsServer(TokenServingHandler(fake.store, fake.faults)) as server:
        write_key_file(path, token_uri=server.base_url + TOKEN_PATH)
"""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import parse_qs

from tests.fake_sheets.exchange import Reply
from tests.fake_sheets.handler import FakeSheetsHandler

TOKEN_PATH = "/token"
TOKEN_LIFETIME_SECONDS = 3600


class TokenServingHandler(FakeSheetsHandler):
    """The fake's handler, plus ``POST /token`` for the JWT bearer grant."""

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Serve a token request here and every other call as the fake API."""
        if method.upper() == "POST" and path == TOKEN_PATH:
            return self._issue_token(body)
        return super().handle(method, path, query, body, headers)

    def _issue_token(self, body: bytes) -> Reply:
        form = parse_qs(body.decode("utf-8"))
        assertion = (form.get("assertion") or [""])[0]
        email = _issuer(assertion)
        if email is None:
            error = {"error": "invalid_grant", "error_description": "Invalid JWT."}
            return Reply.from_json(400, error)

        token = "fake-" + secrets.token_hex(8)
        with self.store.lock:
            self.store.tokens[token] = email
        answer = {
            "access_token": token,
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "token_type": "Bearer",
        }
        return Reply.from_json(200, answer)


def _issuer(assertion: str) -> str | None:
    """Return the ``iss`` claim of a JWT, without checking its signature."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else None
