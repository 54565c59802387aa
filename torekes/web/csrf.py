"""Cross-site request forgery: every form carries a token that only our own pages can know, and
that fits only the session it was drawn for.

For a signed-in visitor the token is an HMAC, keyed with the installation's secret, of the digest
of their session's token (the value of the HttpOnly session cookie): a token drawn for another
session, an attacker's own included, does not fit, so a planted CSRF cookie or a token copied from
another browser buys nothing. Before signing in (the sign-in forms) there is no session yet, so the
token is the HMAC of a random pre-session value kept in an HttpOnly, ``SameSite=Strict`` cookie
(the signed double-submit pattern); signing in replaces it with the session, and the pre-session
cookie is dropped. The most a planted pre-session value can do is let a forged sign-in form sign a
browser in to the account whose password the forger typed, which a planted session cookie would do
as well; on https both cookies carry the ``__Host-`` prefix, so no other host (a neighbouring
subdomain) can plant either. A POST whose token does not fit is refused (403 ``csrf_failed``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PRE_SESSION_COOKIE = "torekes_csrf"
CSRF_FIELD = "csrf_token"


def new_pre_session() -> str:
    return secrets.token_urlsafe(32)


def form_token(secret_key: str, session: str | None, pre_session: str | None) -> str | None:
    """The token a form drawn for this visitor carries: bound to the session when there is one,
    else to the pre-session value; none without either."""
    if session:
        digest = hashlib.sha256(session.encode()).hexdigest()
        return _mac(secret_key, f"csrf:session:{digest}")
    if pre_session:
        return _mac(secret_key, f"csrf:pre-session:{pre_session}")
    return None


def is_valid(
    secret_key: str, session: str | None, pre_session: str | None, submitted: str | None
) -> bool:
    expected = form_token(secret_key, session, pre_session)
    if expected is None or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def _mac(secret_key: str, message: str) -> str:
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
