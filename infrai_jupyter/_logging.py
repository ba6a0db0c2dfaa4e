"""``INFRAI_LOG=debug|info``: the package's log lines on stderr, keys masked.

As ``OPENAI_LOG`` does for openai-python: set the variable before the client is
imported and every decision (retries, saves, key notices) is printed, without a line
of logging configuration. Every line passes :func:`~.contract.redact_keys` first.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from .contract import redact_keys

LOG_ENV = "INFRAI_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


class _MaskKeys(logging.Filter):
    """Put the finished message, keys masked, in place of the template and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_keys(record.getMessage()), ()
        return True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module added, so it is added once."""


def log_from_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Turn on stderr logging when ``INFRAI_LOG`` asks; returns whether it is on."""
    level = _LEVELS.get(environ.get(LOG_ENV, "").strip().lower())
    logger = logging.getLogger("infrai_jupyter")
    if level is None:
        return False
    if not any(isinstance(handler, _Handler) for handler in logger.handlers):
        handler = _Handler(sys.stderr)
        handler.addFilter(_MaskKeys())
        handler.setFormatter(logging.Formatter("[infrai %(levelname)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    return True
