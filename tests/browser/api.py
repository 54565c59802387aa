"""The REST API as one of the demo people, for what a browser test prepares or checks."""

from __future__ import annotations

from typing import Any

import httpx2

from torekes.operations.demo import demo_password


class Api:
    """The REST API signed in as one demo person."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx2.Client(base_url=f"{base_url}/api/v1", timeout=30.0)
        signed_in = self.http.post(
            "/auth/token", data={"username": username, "password": demo_password(username)}
        )
        assert signed_in.status_code == 200, signed_in.text
        self.http.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def available(self) -> int:
        """What the person's one member wallet has available."""
        (wallet,) = self.get("/accounts", kind="member")["items"]
        available: int = wallet["available"]
        return available

    def single_use_code(self, project: str, activity: dict[str, Any]) -> dict[str, Any]:
        """A new activity of ``project`` (its fields in ``activity``), and one single-use
        claim code for it."""
        found = next(p for p in self.get("/projects") if p["name"] == project)
        created = self.post(f"/projects/{found['id']}/activities", activity)
        batch = self.post(
            f"/activities/{created['id']}/code-batches", {"kind": "single", "count": 1}
        )
        code: dict[str, Any] = batch["codes"][0]
        return code

    def close(self) -> None:
        self.http.close()
