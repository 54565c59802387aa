"""The identity area's read models: plain, immutable results handed to the API, the pages and
the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from torekes.db import models


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: models.User) -> UserView:
        return cls(
            user.id, user.username, user.display_name, user.role, user.is_active, user.created_at
        )
