"""The pure half of both clients: configuration, request building, parsing, retry decisions.

:class:`BaseClient` does no I/O, so :class:`~infrai_jupyter.InfraiClient` and
:class:`~infrai_jupyter.AsyncInfraiClient` are two plain copies of the loop that
sends a request, over this one base.
"""

from __future__ import annotations

import contextlib
import copy as _copy
import logging
import math
import platform
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError
from typing_extensions import Self

from ._body import ACCEPT_ENCODING, BodyError, BodyReader, attempt_budget
from ._i18n import N_, current_language, gettext
from ._logging import log_from_environment
from ._requester import ResultT
from ._usage import UsageEntry, session_ledger
from ._usage import now as usage_now
from ._version import __version__
from ._wire import canonical_json, fields_of, parse_envelope, retry_delay
from .contract import (
    HOSTED_BASE_URL,
    IDEMPOTENCY_KEY_HEADER,
    PROJECT_KEY_PREFIX,
    ROUTES,
    TOKEN_LIMIT,
    Region,
    clean_server_text,
    mask_key,
    redact_keys,
)
from .credentials import (
    BASE_URL_ENV,
    ResolvedConfig,
    StoredCredentials,
    active_account,
    checked_key,
    device_fingerprint,
    kept_account,
    resolve_config,
    save_activation,
)
from .display import key_source_label
from .errors import (
    AccountExistsError,
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    CredentialsError,
    InfraiError,
    InvalidArgumentError,
    MalformedResponseError,
    MissingKeyError,
)
from .results import ActivateResult, is_withheld_key

logger = logging.getLogger("infrai_jupyter")
log_from_environment()  # INFRAI_LOG=debug|info, read once the client is first imported

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
MAX_IDEMPOTENCY_KEY_LENGTH = 255
_HEADER_TOKEN = re.compile(r"[!-~]+")
_SHOWN_KEY_CHARACTERS = 8
_REGION_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
_USE_KEY_FIX = N_("Pass the full project key (ifr_pk_proj_...) as activation returned it.")


_ACCEPT_LANGUAGE = {"zh_CN": "zh-CN, zh;q=0.9, en;q=0.5", "en": "en"}
"""``Accept-Language`` for each language of the session: Simplified Chinese first, then
any Chinese the server has, then English; a server without Chinese answers in English."""

HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)

TRANSPORT_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""The loggers of httpx and httpcore: at DEBUG, httpcore logs every response header."""


class RedactKeysFilter(logging.Filter):
    """Masks project keys in a log line: a server may echo the key in a response header."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_keys(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def guard_transport_logs() -> None:
    """Put :class:`RedactKeysFilter` on httpx's and httpcore's loggers, once.

    A logger's filters see only its own records, so each logger gets one.
    """
    for name in TRANSPORT_LOGGERS:
        transport_logger = logging.getLogger(name)
        if not any(isinstance(item, RedactKeysFilter) for item in transport_logger.filters):
            transport_logger.addFilter(RedactKeysFilter())


class SharedHttp(Generic[HttpT]):
    """One httpx client shared by a client and its copies; closed when the last lets go."""

    def __init__(self, http: HttpT) -> None:
        self.http: HttpT = http
        self._users = 1
        self._lock = threading.Lock()

    def join(self) -> SharedHttp[HttpT]:
        with self._lock:
            self._users += 1
        return self

    def leave(self) -> bool:
        """Let go; ``True`` when nobody else uses the httpx client, so it may be closed."""
        with self._lock:
            self._users -= 1
            return self._users == 0


@dataclass(frozen=True)
class Answer:
    """What one attempt received: the status, the headers and the whole (decoded) body."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    request: httpx.Request


class BaseClient(Generic[HttpT]):
    """Configuration, request building, parsing and retry decisions of both clients.

    It does no I/O: the subclasses write out sending and waiting, one with
    ``httpx.Client``, one with ``httpx.AsyncClient``.
    """

    _shared: SharedHttp[HttpT]

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_response_bytes: int,
        http_client: HttpT,
    ) -> None:
        guard_transport_logs()
        self._config = resolve_config(api_key, base_url)
        check_base_url(self._config.base_url)
        self._set_limits(timeout, max_retries)
        self.max_response_bytes = _count("max_response_bytes", max_response_bytes, minimum=1)
        self._shared = SharedHttp(http_client)
        self._closed = False
        self._make_resources()

    def _set_limits(self, timeout: float | httpx.Timeout, max_retries: int) -> None:
        """Take limits only once they can work: a bad one fails here, not at the first call."""
        self.timeout = _timeout_of(timeout)
        self.max_retries = _count("max_retries", max_retries, minimum=0)

    def _make_resources(self) -> None:
        """Attach ``account`` and its parts, bound to this client."""
        raise NotImplementedError

    @property
    def _http(self) -> HttpT:
        return self._shared.http

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Self:
        """A copy with other limits: the same key, key source, base URL and connections.

        The copy shares the httpx client (an injected ``http_client`` too); closing one
        of them leaves it open for the others, and the last to close closes it.
        """
        copy = _copy.copy(self)
        copy._set_limits(
            self.timeout if timeout is None else timeout,
            self.max_retries if max_retries is None else max_retries,
        )
        copy._shared = self._shared.join()
        copy._closed = False
        copy._make_resources()
        return copy

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called: a closed client cannot send requests."""
        return self._closed or self._http.is_closed

    def _release(self) -> bool:
        """Mark this client closed; ``True`` when the httpx client should close too."""
        if self._closed:
            return False
        self._closed = True
        return self._shared.leave()

    @property
    def config(self) -> ResolvedConfig:
        """The key (masked in its repr), its source, the base URL and the region."""
        return self._config

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def use_key(self, api_key: str | None, source: str) -> None:
        """Switch this client to another key (or to none), recording where it came from.

        The key passes the check every key passes where it enters, so nothing malformed
        (a stray newline, a masked copy) reaches an ``Authorization`` header: raises
        :class:`~infrai_jupyter.errors.InvalidKeyError`, the key masked.
        """
        key = (
            checked_key(api_key, f"use_key (source {source!r})", _USE_KEY_FIX) if api_key else None
        )
        self._config = replace(self._config, api_key=key, key_source=source if key else "none")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"api_key='{mask_key(self._config.api_key)}', key_source={self._config.key_source!r})"
        )

    def _build_request(
        self,
        route_name: str,
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Request:
        """Build the one request every attempt of a call will send, key and timeout included.

        The timeout travels on the request, as ``httpx.Client.build_request`` puts it
        there, so it holds whatever ``http_client`` sends it and on every httpx version.
        """
        route = ROUTES[route_name]
        if route.authenticated and not self._config.api_key:
            raise MissingKeyError(
                gettext("{capability} needs a project key, and this client has none.").format(
                    capability=route_name
                )
            )
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept-Language": self._accept_language(),
            "User-Agent": _user_agent(),
        }
        if route.authenticated and self._config.api_key:
            headers["Authorization"] = f"Bearer {self._config.api_key}"
        if route.charges_or_creates:
            headers[IDEMPOTENCY_KEY_HEADER] = _idempotency_key(idempotency_key)
        content = None
        if body is not None:
            content = canonical_json(body)
            headers["Content-Type"] = "application/json"
        segments = {name: _path_segment(value) for name, value in (path_params or {}).items()}
        path = route.path.format(**segments)
        url = self.base_url.rstrip("/") + path
        return httpx.Request(
            route.method,
            url,
            headers=headers,
            content=content,
            extensions={"timeout": self.timeout.as_dict(), _CAPABILITY: route_name},
        )

    def _accept_language(self) -> str:
        """The language the server should write its messages in: the session's, now.

        Read per call, so a language chosen between two calls (``%config
        InfraiMagics.language``) holds from the next one; every retry of a call resends
        its request as built. An ``Accept-Language`` set on the caller's own
        ``http_client`` (``httpx.Client(headers=...)``) wins: it is the one place a
        caller can name headers for this client.
        """
        chosen: str | None = self._http.headers.get("Accept-Language")
        if chosen:
            return chosen
        return _ACCEPT_LANGUAGE.get(current_language(), "en")

    def _parse(self, answer: Answer, cast_to: type[ResultT]) -> ResultT:
        """The result of type ``cast_to`` that ``answer`` holds, or the error it describes.

        Every answer, good or bad, is recorded in the session's usage ledger here: the
        one place all calls of both clients pass through.
        """
        try:
            result = self._result_of(answer, cast_to)
        except InfraiError as error:
            _record(answer, None, None, getattr(error, "request_id", ""))
            raise
        metadata = result.metadata
        _record(answer, metadata.cost_usd, metadata.latency_ms, metadata.request_id)
        return result

    def _result_of(self, answer: Answer, cast_to: type[ResultT]) -> ResultT:
        request = answer.request
        data, metadata = parse_envelope(
            answer.status_code,
            answer.headers,
            answer.content,
            method=request.method,
            url=str(request.url),
        )
        try:
            return cast_to.from_response(data, metadata, self.base_url)
        except ValidationError as exc:
            # Name the fields only: pydantic's own message quotes the input, which may
            # hold a project key (an activation's data).
            raise MalformedResponseError(
                gettext("its 'data' is not a valid {model} ({fields})").format(
                    model=cast_to.__name__, fields=fields_of(exc, "data")
                ),
                status_code=answer.status_code,
                content_type=answer.headers.get("content-type", ""),
                method=request.method,
                url=str(request.url),
            ) from None

    def _budget(self) -> float | None:
        """Seconds one attempt may take, connect to last byte (see :func:`attempt_budget`)."""
        return attempt_budget(self.timeout)

    def _body_reader(self, response: httpx.Response) -> BodyReader:
        """A reader for ``response``'s body; raises :class:`BodyError` for an unasked encoding.

        A response made in memory (``httpx.MockTransport``) arrives read and decoded
        already: the reader gets its content at once, and the caller streams nothing.
        """
        if response.is_stream_consumed:
            reader = BodyReader(self.max_response_bytes, "identity")
            reader.feed(response.content)
            return reader
        return BodyReader(self.max_response_bytes, response.headers.get("content-encoding", ""))

    def _unusable_body(self, response: httpx.Response, error: BodyError) -> MalformedResponseError:
        request = response.request
        return MalformedResponseError(
            error.reason,
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            method=request.method,
            url=str(request.url),
        )

    def _next_delay(self, error: InfraiError, attempt: int, request: httpx.Request) -> float | None:
        """Seconds to wait before retrying, or ``None`` to give up; logs the decision."""
        where = redact_keys(f"{request.method} {request.url.path}")  # ids may be pasted keys
        if attempt >= self.max_retries or not error.retryable:
            logger.debug(
                "Not retrying %s after %s (attempt %d)", where, _describe(error), attempt + 1
            )
            return None
        delay = retry_delay(attempt, getattr(error, "retry_after", None))
        logger.debug(
            "Retrying %s in %.2fs (retry %d of %d) after %s; idempotency key %s",
            where,
            delay,
            attempt + 1,
            self.max_retries,
            _describe(error),
            _shown_idempotency_key(request.headers.get(IDEMPOTENCY_KEY_HEADER)),
        )
        return delay

    def _activation_body(
        self, region: Region, device_kind: str, fingerprint: str | None
    ) -> dict[str, Any]:
        return {
            "region": region,
            "device_kind": device_kind,
            "device_fingerprint": fingerprint or device_fingerprint(),
        }

    def _refuse_second_account(self, new_account: bool) -> None:
        """Refuse to activate while an account is active for this server, unless asked.

        Re-running a cell must not start a new $0 account and leave the funded one
        behind: the session's key, or the one kept active on disk for this server
        (another kernel may have saved it), stays in use.
        """
        if new_account:
            return
        key, source = self._config.api_key, self._config.key_source
        if key is None:
            with contextlib.suppress(CredentialsError):  # a broken file: activating repairs it
                stored = active_account(self.base_url)
                key, source = (
                    (stored.api_key, gettext("the saved credentials")) if stored else (None, "")
                )
        if key is None:
            return
        kept = kept_account(key)
        account_id = kept.account_id if kept else ""
        named = (
            gettext("account {account_id}, key {key}").format(
                account_id=account_id, key=mask_key(key)
            )
            if account_id
            else mask_key(key)
        )
        raise AccountExistsError(
            _second_account_message(kept is not None).format(
                base_url=self.base_url, account=named, source=key_source_label(source)
            ),
            masked_key=mask_key(key),
            base_url=self.base_url,
            account_id=account_id,
            kept=kept is not None,
        )

    def _adopt(self, result: ActivateResult, write: bool) -> None:
        """Use the new key from now on, and save it when asked to (the saving logs itself).

        A replay that withholds the key (masked, see the result's ``notice``) changes nothing.
        """
        key = result.primary_api_key.get_secret_value()
        if is_withheld_key(key):
            return
        self.use_key(key, "activation")
        # A region is a short lowercase name; anything else (a key, an escape) stays out.
        region = result.region if _REGION_NAME.fullmatch(result.region) else self._config.region
        self._config = replace(self._config, region=region)
        if write:
            save_activation(
                StoredCredentials(
                    api_key=key,
                    base_url=self.base_url,
                    region=region,
                    account_id=result.account_id,
                    project_id=result.project_id,
                    # Only the hosted API's key may replace a saved hosted key: any other
                    # server (a sandbox, or one that claims to be real) saves as a sandbox.
                    sandbox=result.metadata.vendor == "sandbox" or not self._is_hosted(),
                )
            )

    def _is_hosted(self) -> bool:
        return self.base_url.rstrip("/") == HOSTED_BASE_URL


def _second_account_message(kept: bool) -> str:
    """Why activating again is refused, ending on what replacing this key would cost."""
    if kept:
        return gettext(
            "This session already has an account on {base_url}: {account} (from {source}). "
            "It stays in use; activating again would start another, empty one. To make "
            "another on purpose: infra.activate(new_account=True) or %infrai_activate "
            "--new (every key stays kept in ~/.infrai/credentials)."
        )
    return gettext(
        "This session already has an account on {base_url}: {account} (from {source}). "
        "It stays in use; activating again would start another, empty one. Its key is "
        "not kept in ~/.infrai/credentials, so this session forgets it once replaced. To "
        "make another on purpose: infra.activate(new_account=True) or %infrai_activate "
        "--new."
    )


_CAPABILITY = "infrai.capability"  # a request extension naming the route, for the ledger


def _record(answer: Answer, cost: Decimal | None, latency: int | None, request_id: str) -> None:
    session_ledger.record(
        UsageEntry(
            time=usage_now(),
            capability=str(answer.request.extensions.get(_CAPABILITY, answer.request.url.path)),
            status=answer.status_code,
            cost_usd=cost,
            latency_ms=latency,
            request_id=clean_server_text(request_id, TOKEN_LIMIT),  # a server's words
        )
    )


def translate_transport_error(
    exc: httpx.TransportError, request: httpx.Request
) -> APIConnectionError:
    """The one place where httpx's errors become ours."""
    where = f"{request.url.scheme}://{request.url.netloc.decode()}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            gettext("{method} {path} to {server} timed out ({error}).").format(
                method=request.method, path=request.url.path, server=where, error=type(exc).__name__
            ),
            method=request.method,
            url=str(request.url),
        )
    return APIConnectionError(
        # The detail in brackets is the operating system's or httpx's, in their words.
        gettext("Could not reach the infrai API at {server} ({error}).").format(
            server=where, error=f"{type(exc).__name__}: {exc}"
        ),
        method=request.method,
        url=str(request.url),
    )


def _count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(
            gettext("{name} must be a whole number, {minimum} or more, not {value}").format(
                name=name, minimum=minimum, value=repr(value)
            )
        )
    return value


def _timeout_of(timeout: object) -> httpx.Timeout:
    """``timeout`` as an ``httpx.Timeout`` whose every phase is unlimited or a positive,
    finite number of seconds (a negative or NaN one would fail inside the first call)."""
    try:
        limits = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        limits = None
    phases = () if limits is None else (limits.connect, limits.read, limits.write, limits.pool)
    if limits is None or any(
        phase is not None and not (isinstance(phase, (int, float)) and 0 < phase < math.inf)
        for phase in phases
    ):
        raise ConfigurationError(
            gettext(
                "timeout must be a number of seconds above 0 (or an httpx.Timeout), not {value}"
            ).format(value=repr(timeout))
        )
    return limits


def check_base_url(url: str) -> None:
    """Refuse a base URL no request could use, naming it, before any request is built.

    Raises :class:`ConfigurationError` instead of the raw httpx error a first call
    would meet later (or a request to the wrong place, for a query or a password).
    """
    problem = _base_url_problem(url, repr(_without_password(url)))
    if problem:
        fix = gettext(
            "Pass base_url= (or set {variable}) to one such as https://api.infrai.cc, or the "
            "sandbox's http://127.0.0.1:PORT."
        ).format(variable=BASE_URL_ENV)
        raise ConfigurationError(f"{problem} {fix}")


def _without_password(url: str) -> str:
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return url
    return str(parts.copy_with(username="…", password=None)) if parts.userinfo else url


def _base_url_problem(url: str, shown: str) -> str | None:
    """What is wrong with ``url``, as a whole sentence naming it as ``shown``."""
    try:
        parts = httpx.URL(url)
        port = parts.port
    except (httpx.InvalidURL, ValueError) as exc:
        return gettext("The base URL {url} cannot be read ({error}).").format(
            url=shown, error=clean_server_text(exc, TOKEN_LIMIT)
        )
    if parts.scheme not in ("http", "https"):
        problem = gettext("The base URL {url} is not an http:// or https:// URL.")
    elif not parts.host or "%" in parts.host:
        problem = gettext("The base URL {url} has no valid host name.")
    elif port is not None and not 0 < port < 65536:
        problem = gettext("The base URL {url} has a port ({port}) outside 1-65535.")
    elif parts.userinfo:
        problem = gettext(
            "The base URL {url} carries a user name or password, which would be logged "
            "with every request."
        )
    elif parts.query or parts.fragment:
        problem = gettext(
            "The base URL {url} has a query or fragment; the API's paths are added after it."
        )
    else:
        return None
    return problem.format(url=shown, port=port)


def deadline_error(request: httpx.Request, budget: float) -> APITimeoutError:
    """The attempt outlived its whole budget, however steadily bytes were trickling in."""
    where = f"{request.url.scheme}://{request.url.netloc.decode()}"
    return APITimeoutError(
        gettext(
            "{method} {path} to {server} did not finish within {seconds} s (the timeout "
            "bounds each whole attempt, from connecting to the last byte)."
        ).format(method=request.method, path=request.url.path, server=where, seconds=f"{budget:g}"),
        method=request.method,
        url=str(request.url),
    )


def _idempotency_key(given: str | None) -> str:
    """The caller's idempotency key once it can travel in a header, or a fresh random one.

    A header holds printable ASCII only: anything else would fail deep in the transport
    (or, with a line break, be retried as a lost connection) instead of saying why here.
    """
    if given is None:
        return f"ik_{uuid.uuid4().hex}"
    if not 0 < len(given) <= MAX_IDEMPOTENCY_KEY_LENGTH or not _HEADER_TOKEN.fullmatch(given):
        raise InvalidArgumentError(
            gettext(
                "The idempotency key {key} cannot be sent: use 1 to {limit} printable ASCII "
                "characters without spaces, such as order-42."
            ).format(key=repr(given[:40]), limit=MAX_IDEMPOTENCY_KEY_LENGTH)
        )
    if PROJECT_KEY_PREFIX in given:
        raise InvalidArgumentError(
            gettext(
                "A project key is not an idempotency key (servers log these): use an id of "
                "your own, such as order-42."
            )
        )
    return given


def _shown_idempotency_key(key: str | None) -> str:
    """Enough of an idempotency key to match a log line to a call, never all of a long one.

    A long key is a secret: whoever repeats it receives the call's stored result (for
    an activation, the project key), so a log line must not be enough to replay it.
    """
    if key is None:
        return "none"
    return key if len(key) <= _SHOWN_KEY_CHARACTERS else key[:_SHOWN_KEY_CHARACTERS] + "..."


def _path_segment(value: str) -> str:
    """Quote an id as one path segment; refuse a pasted key before it reaches any URL.

    URLs are logged everywhere (httpx's own INFO line, proxies, server access logs),
    so a project key must never travel in one.
    """
    if PROJECT_KEY_PREFIX in value:
        raise InvalidArgumentError(
            gettext(
                "{value} is a project key, not an id: pass the id the API returned (e.g. a "
                "top-up's topup_id)"
            ).format(value=redact_keys(value))
        )
    return quote(value, safe="")


def _describe(error: InfraiError) -> str:
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__


def _user_agent() -> str:
    return (
        f"infrai-jupyter/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
    )
