"""Users and their bearer tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from torekes.domain.access import Role
from torekes.domain.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN

from .common import Name, Request, Response, printable

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Password = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH),
    AfterValidator(printable),
]


class UserIn(Request):
    username: Username
    display_name: Name
    role: Role
    password: Password


class UserOut(Response):
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_at: datetime
    expires_in: int = Field(description="Seconds from now until the token expires")


class RevokedOut(BaseModel):
    revoked: int


class PasswordIn(Request):
    password: Password = Field(description="The user's new password: 8 to 256 characters.")


class PasswordChangeIn(Request):
    current_password: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    ] = Field(description="The password in use now; a wrong one is 403 `wrong_password`.")
    new_password: Password = Field(description="8 to 256 characters.")


class PasswordChangedOut(BaseModel):
    revoked: int = Field(description="How many of your other tokens were revoked")
