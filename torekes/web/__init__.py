"""The phone web app: server-rendered pages on the same services as the API, in Dutch and
English, signed in with a session cookie and protected against cross-site request forgery."""
