"""The form's payment watch on a server without ``GET /v1/account/topups/{id}``."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from infrai_jupyter._client import InfraiClient
from infrai_jupyter.widgets.topup_form import TopupForm
from magics.hosted_like import HostedLikeServer

from .conftest import WATCH_WAIT_S, text_at


@pytest.fixture
def hosted() -> Iterator[HostedLikeServer]:
    with HostedLikeServer() as server:
        yield server


def test_the_live_update_works_where_the_topup_route_answers_404(
    hosted: HostedLikeServer,
) -> None:
    with InfraiClient(base_url=hosted.url, max_retries=0) as client:
        client.activate(write_credentials=False)
        form = TopupForm(client, amount=Decimal("25"), watch_interval=0.05)
        try:
            form.submit.click()
            assert form.topup_id is not None
            hosted.pay(form.topup_id)  # in the browser, as the user would
            assert form.watch is not None and form.watch.join(WATCH_WAIT_S)
            assert text_at(form.output.value, ".infrai-card-topup .infrai-badge") == "Paid"
            assert "Not Found" not in form.message.value and "404" not in form.message.value
        finally:
            form.close()
