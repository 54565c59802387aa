"""Configuration from ``TOREKES_*`` environment variables (and an optional ``.env`` file).

Nothing here builds a settings object at import time: ``load_settings()`` is called by the app
factory and the command line. The defaults run a local development service on an SQLite file.
Production mode is safe by default: it refuses the default secret key, a secret key too short or
too regular to hold 128 bits (estimated from its characters' frequencies, with runs and
sequences counted as one character), a public URL over plain http unless
``TOREKES_ALLOW_HTTP`` says it is a lab, and serves the interactive API documentation only when
``TOREKES_API_DOCS`` asks for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from collections import Counter
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from torekes.domain.errors import InvalidIban
from torekes.domain.redemption import normalise_iban

DEFAULT_SECRET_KEY = "development-secret-change-me"  # noqa: S105 - refused in production below
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
# The paying account of a development install that names none, so that the demo's bank file
# downloads; an example IBAN that pays nobody. Production never gets it.
EXAMPLE_PAYOUT_NAME = "Torekes demo (example account)"
EXAMPLE_PAYOUT_IBAN = "BE62510007547061"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOREKES_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./torekes.db"
    secret_key: str = DEFAULT_SECRET_KEY
    public_base_url: str = "http://127.0.0.1:8000"
    # Calendar days and weeks for claim limits are counted in this zone.
    timezone: str = "Europe/Brussels"
    environment: Environment = Environment.DEVELOPMENT
    token_lifetime_days: int = Field(default=30, ge=1, le=3650)
    # Failed password sign-ins within the window: per username from one client address, per
    # client address over all usernames, and two ceilings (per username and in all) past which
    # only addresses a username has signed in from before may go on trying.
    login_max_failures: int = Field(default=10, ge=1)
    login_client_max_failures: int = Field(default=30, ge=1)
    login_username_ceiling: int = Field(default=100, ge=1)
    login_total_ceiling: int = Field(default=1000, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Wrong card PINs tolerated per shop within the window, across all cards (five in a row
    # lock a single card regardless).
    pin_shop_max_failures: int = Field(default=20, ge=1)
    pin_window_seconds: int = Field(default=3600, ge=1)
    # Failed sign-ins with a member card at the counter within the PIN window: per card number
    # from one client address, per client address over all numbers, and the ceilings per card
    # number and in all past which only addresses the card has signed in from may go on.
    card_sign_in_max_failures: int = Field(default=5, ge=1)
    card_sign_in_client_max_failures: int = Field(default=20, ge=1)
    card_sign_in_card_ceiling: int = Field(default=10, ge=1)
    card_sign_in_total_ceiling: int = Field(default=200, ge=1)
    # Claim codes, short codes and payment-request codes that name nothing, per client address
    # within the window, counted in each service process.
    code_max_misses: int = Field(default=30, ge=1)
    code_window_seconds: int = Field(default=600, ge=1)
    # Keys the pepper mixed into every PIN before argon2; empty: derived from the secret key.
    pin_pepper: str = ""
    # Sign-in and PIN attempts are kept this long (at least as long as the windows above), and
    # idempotency records this long: a key can be retried for that long (``torekes purge``).
    attempts_retention_days: int = Field(default=30, ge=1, le=3650)
    idempotency_retention_days: int = Field(default=30, ge=1, le=3650)
    # A sign-in with a member card at a shared counter lasts this long, and its cookie ends with
    # the browser.
    card_session_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # The organisation's own account, from which redemptions are paid (the debtor in bank files).
    payout_name: str = Field(default="", max_length=70)
    payout_iban: str = ""
    payout_bic: str = Field(default="", pattern=r"^([A-Z0-9]{8}([A-Z0-9]{3})?)?$")
    # The Ed25519 seed (base64, 32 bytes) that signs audit checkpoints; empty: derived from
    # the secret key.
    checkpoint_key: str = ""
    # Issuances, reversals and general entries moving more than this many whole units wait for
    # a second administrator's approval; unset, every administrator posts alone.
    four_eyes_above: Decimal | None = Field(default=None, ge=0, max_digits=20, decimal_places=8)
    # Log lines as JSON objects or plain text; unset, JSON in production and text in development.
    log_format: LogFormat | None = None
    log_level: LogLevel = LogLevel.INFO
    # One log line per request (method, route, status, duration); off by default, as a line per
    # request costs a bare endpoint about a quarter of its throughput.
    access_log: bool = False
    # The bearer token a Prometheus scraper sends to read /metrics; unset, /metrics is open in
    # development and closed in production.
    metrics_token: str = ""
    # Production refuses an http public URL (cookies without Secure, codes in clear on the air)
    # unless this says the install is a lab behind no TLS on purpose.
    allow_http: bool = False
    # /docs, /redoc and /openapi.json; unset, served in development and not in production.
    api_docs: bool | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("checkpoint_key")
    @classmethod
    def _seed_of_32_bytes(cls, value: str) -> str:
        if not value:
            return value
        try:
            seed = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        return value

    @field_validator("payout_iban")
    @classmethod
    def _valid_iban(cls, value: str) -> str:
        if not value:
            return value
        try:
            return normalise_iban(value)
        except InvalidIban:
            raise ValueError("not a valid IBAN") from None

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is not Environment.PRODUCTION:
            return self
        if self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError("TOREKES_SECRET_KEY must be set to a secret of your own in production")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"TOREKES_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters in production"
            )
        if estimated_bits(self.secret_key) < MIN_SECRET_BITS:
            raise ValueError(
                "TOREKES_SECRET_KEY is too regular to be a secret: use a random one, for instance "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if self.pin_pepper and (
            len(self.pin_pepper) < MIN_SECRET_LENGTH
            or estimated_bits(self.pin_pepper) < MIN_SECRET_BITS
        ):
            # The card key stands between a copied database and every PIN and card number.
            raise ValueError(
                "TOREKES_PIN_PEPPER must be as random as the secret key: 32 or more characters "
                "holding 128 bits, or unset to derive it from the secret key"
            )
        if self.public_base_url.startswith("http://") and not self.allow_http:
            raise ValueError(
                "TOREKES_PUBLIC_BASE_URL must be https in production "
                "(set TOREKES_ALLOW_HTTP=true only for a lab without TLS)"
            )
        return self

    @model_validator(mode="after")
    def _example_payout_in_development(self) -> Self:
        """In development, with neither the payout name nor the IBAN given, the example account
        pays: the demo's bank file downloads. Giving either (even empty) turns this off."""
        given = {"payout_name", "payout_iban"} & self.model_fields_set
        if self.environment is Environment.DEVELOPMENT and not given:
            self.payout_name = EXAMPLE_PAYOUT_NAME
            self.payout_iban = EXAMPLE_PAYOUT_IBAN
        return self

    @model_validator(mode="after")
    def _keep_attempts_as_long_as_the_limits_count_them(self) -> Self:
        longest = max(self.login_window_seconds, self.pin_window_seconds)
        if self.attempts_retention_days * 86400 < longest:
            raise ValueError(
                "TOREKES_ATTEMPTS_RETENTION_DAYS must cover the sign-in and PIN windows"
            )
        return self

    @property
    def pin_pepper_key(self) -> bytes:
        """The key of the PINs' pepper: its own setting, or derived from the secret key."""
        if self.pin_pepper:
            return self.pin_pepper.encode()
        return hmac.new(self.secret_key.encode(), b"torekes pin pepper", hashlib.sha256).digest()

    def public_url(self, path: str) -> str:
        """The address of ``path`` as people's phones reach it (what QR codes hold)."""
        return f"{self.public_base_url.rstrip('/')}{path}"

    @property
    def log_format_in_use(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.environment is Environment.PRODUCTION else LogFormat.TEXT

    @property
    def api_docs_in_use(self) -> bool:
        if self.api_docs is not None:
            return self.api_docs
        return self.environment is not Environment.PRODUCTION

    @property
    def uses_https(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def estimated_bits(secret: str) -> float:
    """A cautious estimate of a secret's entropy: its length times the Shannon entropy of its
    characters' frequencies, where a character repeating or continuing a sequence from the one
    before it ("aaaa", "abcd", "4321") counts as the same character again."""
    shapes = [secret[0], *(_step_or_char(before, char) for before, char in pairwise(secret))]
    counts = Counter(shapes)
    per_char = -sum(n / len(shapes) * math.log2(n / len(shapes)) for n in counts.values())
    return per_char * len(shapes)


def _step_or_char(before: str, char: str) -> str:
    return "\x00step" if abs(ord(char) - ord(before)) <= 1 else char


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
