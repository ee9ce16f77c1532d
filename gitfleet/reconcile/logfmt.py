"""Structured log lines for a long-running process: ``event=NAME key=value ...``,
which log collectors parse without a schema and people still read. Every record
passes :data:`REDACTION` on its way out (installed by :func:`configure`), which scrubs
the Secret values of the current plan: the reconciler updates it with each new plan."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from gitfleet.redaction import RedactingFilter

# The one filter of the process (logging is process-wide too): ``REDACTION.update(redactor)``.
REDACTION = RedactingFilter()
_BARE = re.compile(r"^[A-Za-z0-9_./:@+-]+$")
FORMAT = "time=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


def value(v: Any) -> str:
    """A logfmt value: bare when it is one safe word, else JSON-quoted (one line)."""
    text = v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str) if isinstance(
        v, dict | list | tuple) else str(v)
    return text if _BARE.match(text) else json.dumps(text)


def line(event: str, **fields: Any) -> str:
    parts = [f"event={value(event)}"]
    parts.extend(f"{k}={value(v)}" for k, v in fields.items() if v is not None)
    return " ".join(parts)


def log(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, "%s", line(event, **fields))


def configure(verbosity: int) -> None:
    """Root logging for ``gitfleet run``: INFO (one line per cycle) unless ``-vv``, every
    handler behind :data:`REDACTION`."""
    logging.basicConfig(level=logging.DEBUG if verbosity >= 2 else logging.INFO, format=FORMAT, force=True)
    REDACTION.install()
