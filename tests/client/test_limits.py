"""Limits that cannot work are refused when the client is made, not inside its first call."""

from __future__ import annotations

import math

import httpx
import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.errors import ConfigurationError

CLIENTS = [InfraiClient, AsyncInfraiClient]


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize(
    "timeout", [-1, 0, math.nan, math.inf, "soon", httpx.Timeout(5, read=-1)], ids=repr
)
def test_a_timeout_that_cannot_work_is_a_configuration_error(
    client_class: type[InfraiClient], timeout: object
) -> None:
    with pytest.raises(ConfigurationError, match="timeout must be a number of seconds above 0"):
        client_class(base_url="http://x.test", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize(
    ("option", "value"),
    [("max_retries", -1), ("max_retries", 1.5), ("max_retries", True), ("max_response_bytes", 0)],
)
def test_a_count_that_cannot_work_is_a_configuration_error(
    client_class: type[InfraiClient], option: str, value: object
) -> None:
    with pytest.raises(ConfigurationError, match=option):
        client_class(base_url="http://x.test", **{option: value})  # type: ignore[arg-type]


def test_with_options_checks_its_limits_too() -> None:
    with InfraiClient(base_url="http://x.test") as client:
        with pytest.raises(ConfigurationError, match="timeout"):
            client.with_options(timeout=-5)
        with pytest.raises(ConfigurationError, match="max_retries"):
            client.with_options(max_retries=-1)
        assert client.max_retries == 2


@pytest.mark.parametrize(
    "timeout", [None, 0.5, 30, httpx.Timeout(10, connect=2), httpx.Timeout(None)]
)
def test_usable_timeouts_are_accepted(timeout: object) -> None:
    with InfraiClient(base_url="http://x.test", timeout=timeout) as client:  # type: ignore[arg-type]
        assert isinstance(client.timeout, httpx.Timeout)
