"""The phone web app: server-rendered pages on the same services as the API, in Dutch and
English, signed in with a session cookie and protected against cross-site request forgery.

The pages are grouped by who uses them, one package each: ``member`` (signing in, the wallet,
claiming, paying), ``shop`` (the till, payments and refunds, card payments, redeeming),
``coordinator`` (projects, activities, sheets of codes, claims to decide) and ``admin``
(administrators and auditors). They share the toolkit at this level: ``session`` (the page, its
person, language and cookies, and its refusal pages), ``refusals`` (how a refusal page is sent
instead of the page asked for), ``form_pages`` (the page each form sits on, drawn again with
what was typed when the form is refused), ``request_refusals`` (what FastAPI refuses at a page's
address, answered with a page, never JSON), ``csrf``, ``i18n`` and ``templating``, ``roles``
(who may read and who may act, per audience), ``fields`` (what forms and addresses send, with
their limits, and each kind of field as the forms draw it) and ``forms`` (typed numbers),
``writes`` (a form's write, once) and ``problems`` (refusals in plain words). Templates follow the
same grouping under ``templates/``, each audience with its frame and macros beside the shared
``base.html`` and ``macros.html``; static files are shared.
"""
