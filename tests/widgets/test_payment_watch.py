"""``PaymentWatch`` on its own: it ends at a final state, a hard error, its deadline or stop()."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from infrai_jupyter._client import InfraiClient
from infrai_jupyter.errors import InfraiError, NotFoundError
from infrai_jupyter.results import TopupRecord
from infrai_jupyter.widgets.payment_watch import PaymentWatch

from .conftest import WATCH_WAIT_S, settle_checkout


class Events:
    """What the watch reported, in order."""

    def __init__(self) -> None:
        self.records: list[TopupRecord] = []
        self.errors: list[InfraiError] = []
        self.expired = 0

    def expire(self) -> None:
        self.expired += 1


def _watch(
    client: InfraiClient, topup_id: str, events: Events, *, interval: float, timeout: float
) -> PaymentWatch:
    return PaymentWatch(
        topup_id,
        lambda: client.account.topups.retrieve(topup_id),
        on_record=events.records.append,
        on_error=events.errors.append,
        on_expired=events.expire,
        interval=interval,
        timeout=timeout,
    )


def test_stops_at_the_final_state(client: InfraiClient) -> None:
    topup = client.account.topup(amount_usd=Decimal("5"))
    settle_checkout(topup.checkout_url or "", "pay")
    events = Events()
    watch = _watch(client, topup.topup_id, events, interval=0.01, timeout=WATCH_WAIT_S).start()
    assert watch.join(WATCH_WAIT_S)
    assert [record.state for record in events.records] == ["succeeded"]
    assert events.errors == [] and events.expired == 0


def test_stops_on_an_error_retrying_cannot_fix(client: InfraiClient) -> None:
    events = Events()
    watch = _watch(client, "tu_unknown", events, interval=0.01, timeout=WATCH_WAIT_S).start()
    assert watch.join(WATCH_WAIT_S)
    assert [type(error) for error in events.errors] == [NotFoundError]
    assert events.records == [] and events.expired == 0


def test_gives_up_at_the_deadline(client: InfraiClient) -> None:
    topup = client.account.topup(amount_usd=Decimal("5"))
    events = Events()
    watch = _watch(client, topup.topup_id, events, interval=0.01, timeout=0.05).start()
    assert watch.join(WATCH_WAIT_S)
    assert events.expired == 1
    assert events.records and {record.state for record in events.records} == {"requires_payment"}


def test_stop_ends_it_without_another_report() -> None:
    fetched = threading.Event()
    events = Events()

    def fetch() -> TopupRecord:
        fetched.set()
        raise AssertionError("a stopped watch must not fetch")

    watch = PaymentWatch(
        "tu_x",
        fetch,
        on_record=events.records.append,
        on_error=events.errors.append,
        on_expired=events.expire,
        interval=3600,
        timeout=7200,
    ).start()
    assert watch.running
    watch.stop()
    assert watch.join(WATCH_WAIT_S)
    assert not fetched.is_set()
    assert events.records == [] and events.errors == [] and events.expired == 0


@pytest.mark.parametrize(("interval", "timeout"), [(0, 10), (1, 0), (-1, 10)])
def test_refuses_a_non_positive_interval_or_timeout(interval: float, timeout: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        PaymentWatch(
            "tu_x",
            lambda: pytest.fail("not called"),
            on_record=print,
            on_error=print,
            on_expired=lambda: None,
            interval=interval,
            timeout=timeout,
        )


def test_a_check_that_fails_after_stop_is_ignored() -> None:
    """The owner may close the client while a check is in flight; that is not an error."""
    in_flight, stopped = threading.Event(), threading.Event()
    events = Events()

    def fetch() -> TopupRecord:
        in_flight.set()
        stopped.wait(WATCH_WAIT_S)
        raise RuntimeError("Cannot send a request, as the client has been closed.")

    watch = PaymentWatch(
        "tu_x",
        fetch,
        on_record=events.records.append,
        on_error=events.errors.append,
        on_expired=events.expire,
        interval=0.01,
        timeout=WATCH_WAIT_S,
    ).start()
    assert in_flight.wait(WATCH_WAIT_S)
    watch.stop()
    stopped.set()
    assert watch.join(WATCH_WAIT_S)
    assert events.records == [] and events.errors == [] and events.expired == 0
