"""Cross-site request forgery: every form carries a token that only our own pages can know.

The signed double-submit pattern: a random value lives in an HttpOnly, SameSite=Strict cookie, and
each form carries an HMAC of it keyed with the installation's secret. A forged form on another site
can neither read the cookie nor compute the HMAC, so its POST is refused (403 ``csrf_failed``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CSRF_COOKIE = "torekes_csrf"
CSRF_FIELD = "csrf_token"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def form_token(secret_key: str, cookie_value: str) -> str:
    return hmac.new(
        secret_key.encode(), f"csrf:{cookie_value}".encode(), hashlib.sha256
    ).hexdigest()


def is_valid(secret_key: str, cookie_value: str | None, submitted: str | None) -> bool:
    if not cookie_value or not submitted:
        return False
    return hmac.compare_digest(form_token(secret_key, cookie_value), submitted)
