"""Logging set-up with secret redaction.

Secrets must never reach a log line (SPEC §7). The access log redacts known
secret query parameters itself; ``RedactingFilter`` is the safety net on every
handler, scrubbing bearer tokens, JWTs, URL signatures, API keys and client
secrets from any message, including those of libraries and the HTTP server.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "[REDACTED]"
# Compared with the parameter name as the server decodes it (``%6Bey`` is ``key``).
SECRET_PARAMS = frozenset(
    {
        "x-lz-signature",
        "key",
        "api_key",
        "client_secret",
        "access_token",
        "refresh_token",
        "token",
        "password",
        "signature",
        "x-amz-signature",
        "x-amz-security-token",
        "awsaccesskeyid",
    }
)
# Libraries that log once per form field or separator at DEBUG: a 1 MB form would
# write tens of thousands of lines (python-multipart: "Skipping duplicate ampersand").
CHATTY_LOGGERS = ("python_multipart", "multipart")
# ``name=value`` anywhere in a message: a query string, a form body, a URL in a traceback.
_PARAMETER = re.compile(r"(?P<name>[^\s=&?;\"',{}()<>\[\]]+)=(?P<value>[^&\s\"',;]*)")
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s,;\"']+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]{8,}"),
    re.compile(r"()eyJ[\w-]+\.[\w-]+\.[\w-]+"),
    re.compile(
        r"(?i)([?&\s\"'](?:x-lz-signature|key|client_secret|access_token|token|signature|"
        r"x-amz-signature|api_key)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',]+"
    ),
]


def is_secret_param(raw_name: str) -> bool:
    """Whether a parameter name, as written on the wire, names a secret once decoded."""
    return unquote_plus(raw_name).lower() in SECRET_PARAMS


def _redact_parameter(match: re.Match[str]) -> str:
    if match["value"] and is_secret_param(match["name"]):
        return f"{match['name']}={REDACTED}"
    return match[0]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return _PARAMETER.sub(_redact_parameter, text)


def redact_query(query: str) -> str:
    """Redact the values of secret parameters in a raw query string."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if sep and is_secret_param(name) else part)
    return "&".join(parts)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are rendered later from exc_info; render and scrub them now.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        return True


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig for our loggers and the HTTP server's, all through the filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["redact"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "_granian": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "granian.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            # Never below INFO, whatever LZ_LOG_LEVEL says.
            **{name: {"level": "INFO"} for name in CHATTY_LOGGERS},
        },
    }


def configure_logging(level: str) -> None:
    logging.config.dictConfig(logging_config(level))
