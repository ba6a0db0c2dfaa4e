"""Follow a top-up until it is paid or canceled, in a daemon thread.

The user pays in another browser tab, so no cell runs when the payment lands. A
``PaymentWatch`` asks the API every ``interval`` seconds and hands each answer to a
callback, which may set widget values: ipykernel sends trait changes from any thread.
It stops at a final state, at its deadline, on an error that retrying cannot fix, or
when told to, so a forgotten form never polls for longer than ``timeout``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..errors import InfraiError
from ..results import TopupRecord

FINAL_STATES = frozenset({"succeeded", "canceled"})
"""Top-up states that never change again."""


class PaymentWatch:
    """Poll ``fetch`` until the top-up is final; report through the three callbacks.

    ``on_record`` gets every answer, ``on_error`` every failed check, and ``on_expired``
    is called once if the deadline passes first. All run in the watch's thread.
    """

    def __init__(
        self,
        topup_id: str,
        fetch: Callable[[], TopupRecord],
        *,
        on_record: Callable[[TopupRecord], None],
        on_error: Callable[[InfraiError], None],
        on_expired: Callable[[], None],
        interval: float,
        timeout: float,
    ) -> None:
        if interval <= 0 or timeout <= 0:
            raise ValueError("interval and timeout must be positive numbers of seconds")
        self.topup_id = topup_id
        self.interval = interval
        self.timeout = timeout
        self._fetch = fetch
        self._on_record = on_record
        self._on_error = on_error
        self._on_expired = on_expired
        self._stopped = threading.Event()
        # The id is a server's: log lines may show the thread name, so keep it short.
        self._thread = threading.Thread(
            target=self._run, name=f"infrai-payment-watch-{topup_id[:40]}", daemon=True
        )

    def start(self) -> PaymentWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the check in progress, if any; callbacks are not called afterwards."""
        self._stopped.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the watch to end; return whether it did within ``timeout`` seconds."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self._stopped.wait(self.interval):
            record: TopupRecord | None = None
            error: InfraiError | None = None
            try:
                record = self._fetch()
            except InfraiError as failure:
                error = failure
            except Exception:
                if self._stopped.is_set():
                    return  # stopped during the check: its owner may have closed the client
                raise
            if self._stopped.is_set():
                return
            if error is not None:
                self._on_error(error)
                if not error.retryable:
                    return
            elif record is not None:
                self._on_record(record)
                if record.state in FINAL_STATES:
                    return
            if time.monotonic() >= deadline:
                self._on_expired()
                return
