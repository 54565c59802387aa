"""Who is looking at a page, in which language, and the cookies that say so.

Signing in on a page issues an API token, like the API's own sign-in, and keeps it in an
HttpOnly cookie (``SameSite=Lax`` so that a claim or payment link opened from the camera app
arrives signed in); signing out revokes it, and a session cookie that no longer signs anyone in is
dropped. Every page knows its language and its CSRF token (bound to the session, see ``csrf``),
and sets the cookies that are missing on its response.

When the public address is https, every cookie is ``Secure`` and named with the ``__Host-``
prefix (``Path=/``, no ``Domain``), so that no other host can set or shadow it; on plain http
(local development) the cookies keep their plain names. Cookies of the other naming that a browser
still sends after an installation moved to https are ignored and deleted: that visitor is simply
signed out.

The page is also where every audience's pages say no: ``require`` (sign in first, or the wrong
role), ``problem`` (a refusal of the services, in plain words and with the API's status code;
``explaining`` answers every refusal met inside it so) and ``refuse`` (a form filled in wrongly),
each a page in the person's language; a refused form is its own page drawn again, with what was
typed (``form_pages``). ``require`` and ``explaining`` raise their page as a
``PageRefusal``, which the application sends instead of the route's own answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from torekes.api.deps import DbDep, SettingsDep
from torekes.api.errors import status_of
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.identity import auth
from torekes.ledger import currencies
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings
from torekes.web import csrf, i18n
from torekes.web.form_pages import Refusal, form_page, typed_values
from torekes.web.problems import field_of, message_values, plain_words
from torekes.web.refusals import PageRefusal, refusals_as_pages
from torekes.web.templating import environment, format_moment

SESSION_COOKIE = "torekes_session"
HOST_PREFIX = "__Host-"
PROBLEM_PAGE = "problem.html"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Every cookie the pages set, by its plain name.
COOKIES = (SESSION_COOKIE, csrf.PRE_SESSION_COOKIE, i18n.LANGUAGE_COOKIE)


@dataclass
class PageContext:
    request: Request
    db: Database
    settings: Settings
    lang: str
    principal: Principal | None
    token: str | None
    # The session and pre-session cookies as the browser sent them (see ``csrf``).
    session_cookie: str | None = None
    pre_session: str | None = None
    cookies: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    # The form a POST sent, and the refusal of it the page is drawn again with (``refuse``).
    sent: FormData | None = None
    refusal: Refusal | None = None
    _currencies: dict[str, CurrencyView] | None = None

    @property
    def secure(self) -> bool:
        return is_secure(self.settings)

    @property
    def csrf_token(self) -> str:
        """The token this page's forms carry: bound to the session the browser holds once this
        answer arrives, else to a pre-session value (made now if the browser has none)."""
        session = self._session_after()
        if not session and self.pre_session is None:
            self.pre_session = csrf.new_pre_session()
        token = csrf.form_token(self.settings.secret_key, session, self.pre_session)
        assert token is not None  # a session or a pre-session value is there by now
        return token

    def _session_after(self) -> str | None:
        if SESSION_COOKIE in self.cookies:
            return self.cookies[SESSION_COOKIE][0] or None
        return self.session_cookie

    def decimals_of(self, currency_code: str) -> int:
        """The currency's decimals (read once per page: a page may show several amounts)."""
        return self.currency_of(currency_code).decimals

    def currency_of(self, currency_code: str) -> CurrencyView:
        """The currency, as read once per page: its name, decimals and limits."""
        if self._currencies is None:
            self._currencies = {c.code: c for c in currencies.list_currencies(self.db)}
        return self._currencies[currency_code]

    def require(self, *roles: Role, back: str | None = None) -> Principal:
        """The signed-in person when their role may see this page (any role when none are
        named); otherwise raises the page to send instead: to sign in first, or a refusal.

        Signing in leads back to this page, or to ``back``: the page of a form, since a POST's
        own path cannot be opened again."""
        if self.principal is None:
            target = back or self.request.url.path
            if back is None and self.request.method == "GET" and self.request.url.query:
                target += "?" + self.request.url.query
            raise PageRefusal(self.redirect(f"/login?next={quote(target, safe='/')}"))
        if roles and self.principal.role not in roles:
            raise PageRefusal(self.problem(errors.RoleNotAllowed()))
        return self.principal

    def explaining(
        self,
        words: Mapping[str, str] | None = None,
        template: str = PROBLEM_PAGE,
        params: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> AbstractContextManager[None]:
        """Inside, a refusal of the services is answered with ``problem``'s page (with these
        ``words`` and their ``params``, ``template`` and ``values``) instead of the route's
        own."""
        return refusals_as_pages(
            lambda error: self.problem(error, words, template, params, **values)
        )

    def problem(
        self,
        error: errors.TorekesError,
        words: Mapping[str, str] | None = None,
        template: str = PROBLEM_PAGE,
        params: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> Response:
        """A refusal of the services as a page in plain words, with the status code the API
        gives it; ``words`` are a page's own words for some codes, said instead of the usual.
        A refusal of a form draws the form's page again (see ``refuse``), unless it is about
        the person, not the form (signed out, throttled, a code that names nothing)."""
        message = (words or {}).get(error.code) or plain_words(error)
        response = self.refuse(
            message,
            status_of(error),
            template,
            field=field_of(error),
            params={**message_values(error, self.lang), **(params or {})},
            again=_about_the_form(error),
            **values,
        )
        if isinstance(error, errors.RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    def refuse(
        self,
        message: str,
        status_code: int = 422,
        template: str = PROBLEM_PAGE,
        *,
        field: str | None = None,
        params: Mapping[str, Any] | None = None,
        again: bool = True,
        **values: Any,
    ) -> Response:
        """A page that says no in plain words (``message``: a gettext message, translated when
        shown with ``params``), such as a form filled in wrongly. When the refused route takes
        a form that names its page (``form_pages.drawn_on``), that page is drawn again with what
        was typed and the message next to ``field``; otherwise ``template`` says it."""
        refusal = Refusal(message, status_code, field, params or {})
        if again:
            drawn = self._drawn_again(refusal)
            if drawn is not None:
                return drawn
        return self.render(template, status_code, message=message, refusal=refusal, **values)

    def _drawn_again(self, refusal: Refusal) -> Response | None:
        """The page of the refused form, drawn again with ``refusal``; None when the route
        takes no form, or its page cannot be drawn (then the plain refusal page says it)."""
        draw = form_page(self.request.scope.get("endpoint"))
        if draw is None or self.refusal is not None:
            return None
        self.refusal = refusal
        try:
            response = draw(self, self.request.path_params)
        except PageRefusal as instead:  # sign in first, or the page itself is refused
            return instead.response
        except errors.TorekesError:
            self.refusal = None
            return None
        if response.status_code < 400:
            response.status_code = refusal.status
        return response

    def render(
        self, template: str, status_code: int = 200, here: str | None = None, **values: Any
    ) -> Response:
        """The page ``template`` in the person's language; ``here`` is where switching the
        language comes back to when it is not this request's page (a form's answer that has an
        address of its own, such as a receipt)."""
        page = environment(self.lang).get_template(template)
        values = {"typed": typed_values(self.sent), "refusal": self.refusal, **values}
        html = page.render(
            user=self.principal,
            csrf_token=self.csrf_token,
            moment=lambda when: format_moment(when, self.lang, self.settings.timezone),
            path=self.request.url.path,
            here=here or self._here(),
            **values,
        )
        return self.finish(HTMLResponse(html, status_code))

    def _here(self) -> str:
        """Where to come back to (after switching the language, say): the page with its query,
        such as where signing in leads next; a form's answer goes back to its page."""
        url = self.request.url
        if self.request.method == "GET" and url.query:
            return f"{url.path}?{url.query}"
        return url.path

    def redirect(self, location: str) -> Response:
        return self.finish(RedirectResponse(location, status_code=303))

    def keep(self, name: str, value: str, max_age: int | None, samesite: str = "lax") -> None:
        """Set the cookie ``name`` (its plain name; ``""`` deletes it) on this page's answer."""
        self.cookies[name] = (value, max_age, samesite)

    def finish(self, response: Response) -> Response:
        sent = self.request.cookies.get(cookie_name(self.settings, csrf.PRE_SESSION_COOKIE))
        if self._session_after():
            if sent:  # signed in: the session binds the forms from now on
                self.keep(csrf.PRE_SESSION_COOKIE, "", None)
        elif self.pre_session and self.pre_session != sent:
            self.keep(csrf.PRE_SESSION_COOKIE, self.pre_session, None, "strict")
        for name, (value, max_age, samesite) in self.cookies.items():
            if value:
                response.set_cookie(
                    cookie_name(self.settings, name),
                    value,
                    max_age=max_age,
                    path="/",
                    secure=self.secure,
                    httponly=True,
                    samesite=samesite,  # type: ignore[arg-type]
                )
            else:
                response.delete_cookie(
                    cookie_name(self.settings, name), path="/", secure=self.secure, httponly=True
                )
        if self.secure:
            for name in COOKIES:
                if name in self.request.cookies:  # named before the move to https
                    response.delete_cookie(name, path="/", httponly=True)
        return response


def is_secure(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


def cookie_name(settings: Settings, name: str) -> str:
    """The name a page's cookie has on this installation: ``__Host-`` prefixed on https."""
    return HOST_PREFIX + name if is_secure(settings) else name


async def sent_form(request: Request) -> FormData | None:
    """The form a POST to a page sends (read once, for the CSRF check and for the page)."""
    if request.method != "POST":
        return None
    return await request.form()


def _csrf_checked(page: PageContext, form: FormData) -> None:
    """Every form sent to a page carries the CSRF token of the session it was drawn for; one
    without it is refused with a page (403 ``csrf_failed``) before its fields are even read, so
    no page can forget the check."""
    submitted = form.get(csrf.CSRF_FIELD)
    if not csrf.is_valid(
        page.settings.secret_key,
        page.session_cookie,
        page.pre_session,
        submitted if isinstance(submitted, str) else None,
    ):
        raise PageRefusal(page.problem(errors.CsrfFailed()))


def page_context(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    form: Annotated[FormData | None, Depends(sent_form)],
) -> PageContext:
    session_cookie = request.cookies.get(cookie_name(settings, SESSION_COOKIE)) or None
    token = session_cookie
    principal = None
    if token:
        try:
            principal = auth.principal_for_token(db, settings, token)
        except errors.InvalidToken:
            token = None
    lang = i18n.choose(
        request.cookies.get(cookie_name(settings, i18n.LANGUAGE_COOKIE)),
        request.headers.get("accept-language"),
    )
    page = PageContext(
        request=request,
        db=db,
        settings=settings,
        lang=lang,
        principal=principal,
        token=token,
        session_cookie=session_cookie,
        pre_session=request.cookies.get(cookie_name(settings, csrf.PRE_SESSION_COOKIE)) or None,
    )
    request.state.page = page  # for the refusals of the request's fields (``request_refusals``)
    if form is not None:
        page.sent = form
        _csrf_checked(page, form)
    if session_cookie and token is None:  # expired or revoked: signed out
        page.keep(SESSION_COOKIE, "", None)
    # The body's rule for every form field of every page: PostgreSQL cannot store a NUL, so one
    # is refused here, before any page reads its fields, alike on both databases.
    for name, value in (form or FormData()).multi_items():
        if isinstance(value, str) and "\x00" in value:
            raise PageRefusal(page.problem(errors.InvalidInput(field=name)))
    return page


CurrentPage = Annotated[PageContext, Depends(page_context)]


def _about_the_form(error: errors.TorekesError) -> bool:
    """Whether a refusal is about what the form asked, so that the form is drawn again: not
    when the person must sign in, wait, or reload, nor for a code or address that names nothing
    (drawing its page again would look the code up once more)."""
    if isinstance(error, errors.NotFound):
        return "field" in error.extra
    about_the_person = (errors.Unauthenticated, errors.RateLimited, errors.CsrfFailed)
    return not isinstance(error, (*about_the_person, errors.RoleNotAllowed))


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
