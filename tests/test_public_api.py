"""The public surface is locked: a change to it has to change this file too."""

from __future__ import annotations

import infrai_jupyter
import infrai_jupyter.errors


def test_package_surface() -> None:
    expected = [
        "AsyncInfraiClient",
        "InfraiClient",
        "__version__",
        "account",
        "configure",
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
        "AuthenticationError",
        "ConflictError",
        "CredentialsError",
        "InfraiError",
        "InsufficientCreditError",
        "InvalidRequestError",
        "MalformedResponseError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "ServerError",
    ]
    assert infrai_jupyter.errors.__all__ == expected == sorted(expected)
    for name in expected:
        error_class = getattr(infrai_jupyter.errors, name)
        assert issubclass(error_class, infrai_jupyter.errors.InfraiError)
