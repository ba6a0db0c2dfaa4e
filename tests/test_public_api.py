"""The public surface is locked: a change to it has to change this file too."""

from __future__ import annotations

import re

import infrai_jupyter
import infrai_jupyter.errors


def test_package_surface() -> None:
    expected = [
        "AsyncInfraiClient",
        "InfraiClient",
        "__version__",
        "account",
        "configure",
        "configure_network",
        "errors",
        "infra",
        "load_ipython_extension",
        "unload_ipython_extension",
    ]
    assert infrai_jupyter.__all__ == expected == sorted(expected)
    assert all(getattr(infrai_jupyter, name) is not None for name in expected)


def test_errors_surface() -> None:
    expected = [
        "APIConnectionError",
        "APIStatusError",
        "APITimeoutError",
        "AccountExistsError",
        "AuthenticationError",
        "ConfigurationError",
        "ConflictError",
        "CredentialsError",
        "InfraiError",
        "InsufficientCreditError",
        "InvalidAmountError",
        "InvalidArgumentError",
        "InvalidKeyError",
        "InvalidRequestError",
        "MalformedResponseError",
        "MissingKeyError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "ServerError",
    ]
    assert infrai_jupyter.errors.__all__ == expected == sorted(expected)
    tree = infrai_jupyter.errors.__doc__ or ""
    for name in expected:
        error_class = getattr(infrai_jupyter.errors, name)
        assert issubclass(error_class, infrai_jupyter.errors.InfraiError)
        assert re.search(rf"\s{name}\s", tree), f"{name} is missing from the tree in the docstring"
