"""Local fake providers (Twilio, Telegram, X) for the end-to-end tests.

Each fake serves the provider's HTTP API on 127.0.0.1 so that the real SDK talks to it over real
HTTP, checks every request against `tests/contracts/` (or what the provider documents, for
X), answers a request the provider would reject with the provider's own error and records it as
a violation. `tests.fakes.fixtures` has the pytest fixtures that fail a test on any violation.
"""
