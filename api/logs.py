"""Structured logs: one JSON object a line, with the request id of the request being served.

Standard-library loggers (uvicorn, SQLAlchemy, ours) go through the same structlog formatter, so
every line has the same shape. `MARKAZ_LOG_FORMAT=console` prints them for people instead. Each line of
a request carries its request id, and once signed in, the officer's id; the request line also the
operation name. `redact` runs last on every line: no password, token or sensitive incident text is
written, whatever a caller passed.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Keys whose values are never logged (compared lower-case, without `_` and `-`): credentials, and the
# free text and people of incidents, which may describe domestic violence or children.
SECRET_KEYS = frozenset(
    {
        "password",
        "newpassword",
        "currentpassword",
        "token",
        "accesstoken",
        "refreshtoken",
        "authorization",
        "cookie",
        "secret",
        "secretkey",
        "description",
        "people",
        "notes",
        "note",
        "variables",
        "phone",
    }
)
_SCRUB = (
    (re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}"), "[token]"),  # a JWT anywhere in a text
    (re.compile(r"(?i)\b(bearer)\s+[\w.~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"(?i)\b(password|passwd|secret|token)(\W{1,3})[^\s,;&'\"]+"), r"\1\2[redacted]"),
    (re.compile(r"\[parameters: .*?\](?=\s|$)", re.S), "[parameters: redacted]"),  # SQLAlchemy errors
)


def _clean(value, depth: int = 0):
    if isinstance(value, str):
        for pattern, replacement in _SCRUB:
            value = pattern.sub(replacement, value)
        return value
    if depth > 5:
        return value
    if isinstance(value, dict):
        return {k: "[redacted]" if _secret(k) else _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, depth + 1) for v in value]
    return value


def _secret(key) -> bool:
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in SECRET_KEYS


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: values under secret keys replaced, tokens and passwords cut out of text."""
    for key, value in event_dict.items():
        event_dict[key] = "[redacted]" if _secret(key) else _clean(value)
    return event_dict


def _add_pid(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event_dict["pid"] = os.getpid()
    return event_dict


def configure(level: str = "INFO", fmt: str = "json", *, pid: bool = False) -> None:
    """Logging for the process; `pid`: each line names the process (`markaz serve --workers N`)."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if pid:
        shared.append(_add_pid)
    renderer = (
        structlog.dev.ConsoleRenderer()
        if fmt == "console"
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        # Dropping events below the level first keeps a quiet server from formatting lines it never prints.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would duplicate ours, which carries the request id.
    logging.getLogger("uvicorn.access").disabled = True


class RequestIdMiddleware:
    """Gives each request an id (the client's X-Request-ID when sane), logs it, and returns it."""

    def __init__(self, app) -> None:
        self.app = app
        self.log = structlog.get_logger("markaz.http")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http" and scope["path"] not in ("/healthz", "/readyz", "/metrics"):
                self.log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    operation=state.get("operation_name"),
                )
            structlog.contextvars.unbind_contextvars("request_id", "officer_id")
