"""Reading an answer within limits: a size cap after decompression, and a whole-attempt deadline.

Pure, so the sync and async clients share it. The client asks for ``gzip`` only and
inflates it here, a bounded piece at a time: a gzip bomb (1 GiB of zeros in 1 MB)
stops at :data:`MAX_RESPONSE_BYTES` of output, never unpacked in memory first.
"""

from __future__ import annotations

import zlib

import httpx

from ._i18n import _

MAX_RESPONSE_BYTES = 1024 * 1024
"""The largest answer body accepted, after decompression (1 MiB; every infrai answer is
a few KiB). Set another with ``InfraiClient(max_response_bytes=...)``."""

ACCEPT_ENCODING = "gzip"
"""The only encoding the client asks for, and the only one :class:`BodyReader` inflates."""


class BodyError(Exception):
    """The body cannot be used; ``reason`` completes "which is not the infrai envelope: …"."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def attempt_budget(timeout: httpx.Timeout) -> float | None:
    """Seconds one attempt may take from connecting to the last byte; ``None``: no limit.

    A float ``timeout`` is the budget itself; an ``httpx.Timeout`` grants its largest
    phase, and none at all when any phase is unlimited.
    """
    phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    if any(phase is None for phase in phases):
        return None
    return max(phase for phase in phases if phase is not None)


class BodyReader:
    """Collect raw body chunks into at most ``limit`` bytes of decoded content."""

    def __init__(self, limit: int, content_encoding: str) -> None:
        self._limit = limit
        self._size = 0
        self._chunks: list[bytes] = []
        self._fed = False
        encoding = content_encoding.strip().lower()
        if encoding in ("", "identity"):
            self._inflater = None
        elif encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            raise BodyError(
                _("it is encoded as {encoding}, which the client did not ask for").format(
                    encoding=repr(encoding)
                )
            )

    def feed(self, raw: bytes) -> None:
        """Add a chunk as it arrived; raises :class:`BodyError` once past the limit."""
        self._fed = self._fed or bool(raw)
        if self._inflater is None:
            self._keep(raw)
            return
        try:
            # Never inflate more than one byte past the room left: a bomb stops here.
            self._keep(self._inflater.decompress(raw, self._limit - self._size + 1))
        except zlib.error:
            raise BodyError(_("its gzip encoding is corrupt")) from None

    def content(self) -> bytes:
        """The whole decoded body; raises :class:`BodyError` if the gzip stream was cut off."""
        if self._inflater is not None and self._fed and not self._inflater.eof:
            raise BodyError(_("its gzip encoding ends early (the body was cut off)"))
        return b"".join(self._chunks)

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise BodyError(
                _("the body is larger than {limit} bytes (the client's max_response_bytes)").format(
                    limit=f"{self._limit:,}"
                )
            )
        self._chunks.append(data)
