"""``TopupForm``: add funds from a notebook without leaving it.

A ``VBox`` in the cards' frame (a header, then fields: amount with presets, optional
return URL, each with its own error line), the Top up and Check payment buttons, and two
HTML areas: ``message`` for notices and failed calls, ``output`` for the top-up card (its
checkout link) and, once paid, the new balance. HTML widgets rather than an ``Output``
widget, because the payment watch writes from its own thread. Enter in a field submits.

Given ``follow`` (the magics pass the session's client), the form checks before each
call whether the session moved to another server or key (``%infrai_sandbox start``
again, ``%infrai_activate``) and switches to a copy of it, so an old form keeps working.

Nothing secret enters widget state (it is saved with the notebook): the client stays
a plain Python attribute, the cards show ids and links, never a key, and a key typed or
pasted into a field is cleared at once.

Language: the labels, buttons and placeholders are set when the form is built, so a
form built while the session speaks Chinese (``%config InfraiMagics.language = "zh-CN"``
or a ``zh_CN`` locale) speaks Chinese; messages are translated as they are shown. An
existing form is not re-translated live when the language changes: run
``%infrai_topup`` again for a form in the new language.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ipywidgets import HTML, Button, HBox, Layout, Text, VBox
from traitlets import Float, Unicode

from .._i18n import N_, gettext
from ..contract.money import TOPUP_PRESETS_USD
from ..display import format_usd, render_html, topup_command
from ..errors import InfraiError
from ..results import TopupRecord
from .feedback import (
    STYLE_HTML,
    error_html,
    field_error_html,
    header_html,
    invalid_label,
    not_signed_in_html,
    notice_html,
    result_html,
)
from .payment_watch import FINAL_STATES, PaymentWatch
from .topup_status import TopupStatus
from .validation import KEY_REMOVED, Field, TopupInput, holds_a_key, validate_topup

if TYPE_CHECKING:
    from .._client import InfraiClient

_LABELS: dict[Field, str] = {"amount": N_("Amount ($)"), "return_url": N_("Return URL")}
_LABEL_STYLE = {"description_width": "7em"}
# ipywidgets 8 shows a description as text unless told it is HTML (the label carries a
# hidden problem, see invalid_label); 7 (Colab's) always renders it as HTML, without the trait.
_HTML_LABEL = (
    {"description_allow_html": True} if "description_allow_html" in Text.class_trait_names() else {}
)
_HIDDEN = "none"
_CLOSE_WAIT_S = 30.0
"""How long ``close`` waits for a check in flight, so it never outlives the client."""


class TopupForm(VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Pick an amount, click Top up, pay on the checkout page, see the new balance here.

    ``TopupForm(client, amount=Decimal("25"), return_url=None)``; ``watch_interval`` and
    ``watch_timeout`` bound the background check for the payment. With ``owns_client``
    the form closes ``client`` when it is closed itself.
    """

    watch_interval = Float(2.0, help="Seconds between automatic checks of a pending top-up.")
    watch_timeout = Float(
        600.0, help="Stop checking automatically after this many seconds (Check payment remains)."
    )
    topup_id = Unicode(
        None, allow_none=True, help="The top-up of the latest submission, once the API made it."
    )

    def __init__(
        self,
        client: InfraiClient,
        *,
        amount: Decimal | None = None,
        return_url: str | None = None,
        presets: Sequence[int | str | Decimal] = TOPUP_PRESETS_USD,
        watch_interval: float = 2.0,
        watch_timeout: float = 600.0,
        owns_client: bool = False,
        follow: Callable[[], InfraiClient] | None = None,
    ) -> None:
        self._client = client
        self._owns_client = owns_client
        self._session_client = follow
        self._lock = threading.RLock()
        self._submission: tuple[TopupInput, str] | None = None
        self._shown: tuple[str, str] | None = None
        self._watch: PaymentWatch | None = None

        # The words are fixed here, in the language of the moment (see the module doc).
        self._labels = {name: gettext(label) for name, label in _LABELS.items()}
        self._submit_label = gettext("Top up")
        self.heading = HTML(STYLE_HTML + header_html())
        self.heading.add_class("infrai-form-heading")
        self.amount = self._field("amount", gettext("e.g. 25"), "17em")
        self.amount_error = HTML()
        self.preset_buttons = [self._preset_button(value) for value in presets]
        self.return_url = self._field(
            "return_url", gettext("optional: the http(s) page checkout sends you back to"), "100%"
        )
        self.return_url_error = HTML()
        self.submit = Button(
            description=self._submit_label, button_style="primary", tooltip=self._submit_label
        )
        self.check = Button(
            description=gettext("Check payment"),
            tooltip=gettext("Ask the API now whether the top-up was paid"),
            layout=Layout(display=_HIDDEN),
        )
        self.message = HTML()
        self.output = HTML()

        self.submit.on_click(self._on_submit)
        self.check.on_click(self._on_check)
        for field in (self.amount, self.return_url):
            field.observe(self._on_edit, names="value")
            # Enter in a field: the front end sends {"event": "submit"} (Text.on_submit's
            # message, without its deprecation warning).
            field.on_msg(self._on_field_message)
        # Filled in through the observer, so a prefilled key is cleared like a typed one.
        self.amount.value = "" if amount is None else str(amount)
        self.return_url.value = return_url or ""
        presets_row = HBox(self.preset_buttons)
        presets_row.add_class("infrai-presets")
        body = VBox(
            [
                _row([self.amount, presets_row]),
                self.amount_error,
                self.return_url,
                self.return_url_error,
                _row([self.submit, self.check]),
                self.message,
                self.output,
            ]
        )
        body.add_class("infrai-form-body")
        super().__init__(
            children=[self.heading, body],
            watch_interval=watch_interval,
            watch_timeout=watch_timeout,
        )
        self.add_class("infrai-form")

    def __repr__(self) -> str:
        # The text/plain beside the widget view: what a terminal, nbconvert or GitHub shows.
        checked = validate_topup(self.amount.value, "")
        amount = checked.amount_usd if isinstance(checked, TopupInput) else Decimal("25")
        return gettext(
            "infrai top-up form — open in JupyterLab to use it, or run {command}"
        ).format(command=topup_command(amount))

    @property
    def watch(self) -> PaymentWatch | None:
        """The background check of the latest pending top-up, if one was started."""
        return self._watch

    def close(self) -> None:
        """Stop checking for the payment (waiting for a check in flight), then close."""
        with self._lock:
            watch, self._watch = self._watch, None
        if watch is not None:
            watch.stop()
            # Outside the lock: the watch's last callback may need it to finish.
            watch.join(_CLOSE_WAIT_S)
        if self._owns_client:
            self._client.close()
        super().close()

    # ------------------------------------------------------------------ handlers

    def _field(self, name: Field, placeholder: str, width: str) -> Text:
        return Text(
            description=self._labels[name],
            **_HTML_LABEL,
            placeholder=placeholder,
            style=_LABEL_STYLE,
            layout=Layout(width=width, max_width="100%"),
        )

    def _preset_button(self, value: int | str | Decimal) -> Button:
        text = str(value)
        button = Button(
            description=format_usd(Decimal(text)).replace(".00", ""),
            tooltip=gettext("Fill in {amount} dollars").format(amount=text),
        )
        button.on_click(lambda _button: setattr(self.amount, "value", text))
        return button

    def _on_field_message(self, _widget: Text, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            self._on_submit(self.submit)

    def _on_edit(self, change: Any) -> None:
        owner = change["owner"]
        self._mark(owner, None)  # editing a field clears its problem
        if holds_a_key(change["new"]):
            owner.value = ""  # widget state is saved with the notebook
            self.message.value = notice_html([gettext(KEY_REMOVED)], "warning")
            return
        self.message.value = ""

    def _mark(self, field: Text, problem: str | None) -> None:
        """Show ``problem`` under ``field`` and mark it invalid; ``None`` clears both."""
        name: Field = "amount" if field is self.amount else "return_url"
        error = self.amount_error if field is self.amount else self.return_url_error
        error.value = field_error_html(problem) if problem else ""
        label = self._labels[name]
        field.description = invalid_label(label, problem) if problem else label
        if problem:
            field.add_class("infrai-invalid")
        else:
            field.remove_class("infrai-invalid")

    def _on_submit(self, _button: Button) -> None:
        if self.submit.disabled:
            return  # a click that arrived while the previous one was still running
        checked = validate_topup(self.amount.value, self.return_url.value)
        self._mark(self.amount, None)
        self._mark(self.return_url, None)
        if not isinstance(checked, TopupInput):
            for name, problem in checked.items():
                self._mark(self.amount if name == "amount" else self.return_url, problem)
            self.message.value = ""
            return
        client = self._current_client()
        if client.config.api_key is None:
            self.message.value = not_signed_in_html(client.base_url)
            return
        self.message.value = ""
        self._set_busy(True)
        try:
            record = client.account.topup(
                amount_usd=checked.amount_usd,
                return_url=checked.return_url,
                idempotency_key=self._idempotency_key(checked),
            )
        except InfraiError as error:
            if not error.retryable:
                self._forget_submission()  # a definite answer: the next click is a new try
            self.message.value = error_html(error, self._client.base_url)
            return
        finally:
            self._set_busy(False)
        self._follow(record)

    def _on_check(self, _button: Button) -> None:
        topup_id = self.topup_id
        if self.check.disabled or topup_id is None:
            return
        self.check.disabled = True
        try:
            record = self._client.account.topups.retrieve(topup_id)
        except InfraiError as error:
            self.message.value = error_html(error, self._client.base_url)
            return
        finally:
            self.check.disabled = False
        self.message.value = ""
        if record.state not in FINAL_STATES:
            checked_at = datetime.now().astimezone().strftime("%H:%M:%S %Z")
            self.message.value = notice_html(
                [
                    gettext(
                        "Not paid yet (checked {time}): pay on the checkout page, then check."
                    ).format(time=checked_at)
                ]
            )
        self._show(record)

    # ------------------------------------------------------------------ state

    def _current_client(self) -> InfraiClient:
        """The session's client if it moved to another server or key; else the form's own."""
        if self._session_client is None:
            return self._client
        try:
            session = self._session_client()
        except InfraiError:
            return self._client  # the card of the call that follows says what is wrong
        if (session.base_url, session.config.api_key) == (
            self._client.base_url,
            self._client.config.api_key,
        ):
            return self._client
        self._stop_watch()
        previous, owned = self._client, self._owns_client
        self._client, self._owns_client = session.with_options(), True
        if owned:
            previous.close()
        return self._client

    def _set_busy(self, busy: bool) -> None:
        self.submit.disabled = busy
        self.submit.description = gettext("Topping up…") if busy else self._submit_label

    def _idempotency_key(self, checked: TopupInput) -> str:
        """One key per submission: clicking again with the same input replays, never repeats."""
        with self._lock:
            if self._submission is None or self._submission[0] != checked:
                self._submission = (checked, f"ik_form_{uuid.uuid4().hex}")
            return self._submission[1]

    def _forget_submission(self) -> None:
        with self._lock:
            self._submission = None

    def _follow(self, record: TopupRecord) -> None:
        """Show a new (or replayed) top-up and keep one watch on it while it is pending."""
        with self._lock:
            if record.topup_id != self.topup_id:
                self.topup_id = record.topup_id
                self._shown = None
            watched = self._watch is not None and self._watch.topup_id == record.topup_id
            if record.state in FINAL_STATES:
                self._stop_watch()
            elif not (watched and self._watch is not None and self._watch.running):
                self._stop_watch()
                self._watch = self._start_watch(record)
        self._show(record)

    def _start_watch(self, record: TopupRecord) -> PaymentWatch:
        return PaymentWatch(
            record.topup_id,
            TopupStatus(self._client, record),
            on_record=self._show,
            on_error=self._on_watch_error,
            on_expired=self._on_watch_expired,
            interval=self.watch_interval,
            timeout=self.watch_timeout,
        ).start()

    def _stop_watch(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.stop()
                self._watch = None

    def _show(self, record: TopupRecord) -> None:
        """Draw the top-up, and the new balance once paid; called from any thread."""
        with self._lock:
            if record.topup_id != self.topup_id or self._shown == (record.topup_id, record.state):
                return  # a stale top-up's late answer, or nothing new to draw
            self._shown = (record.topup_id, record.state)
            html = render_html(record.card())
            if record.state == "succeeded":
                html += self._balance_html()
            elif record.state == "canceled":
                html = render_html(
                    replace(record.card(), notes=(gettext("Canceled: nothing was charged."),))
                )
            if record.state in FINAL_STATES:
                self._submission = None  # the same amount again is a new top-up
                self.message.value = ""
            self.output.value = result_html(html)
            self.check.layout.display = _HIDDEN if record.state in FINAL_STATES else None

    def _balance_html(self) -> str:
        try:
            balance = self._client.account.balance()
        except InfraiError as error:
            return notice_html(
                [
                    gettext("Paid. The new balance could not be loaded just now: {reason}").format(
                        reason=error.message
                    ),
                    gettext("Run %infrai_balance to see it."),
                ],
                "warning",
            )
        return render_html(balance.card())

    def _on_watch_error(self, error: InfraiError) -> None:
        next_step = (
            gettext("Still checking; you can also click Check payment.")
            if error.retryable
            else gettext("Stopped checking automatically; click Check payment to try again.")
        )
        failed = gettext("Could not check the payment: {reason}").format(reason=error.message)
        self.message.value = notice_html([failed, next_step], "warning")

    def _on_watch_expired(self) -> None:
        minutes = max(1, round(self.watch_timeout / 60))
        self.message.value = notice_html(
            [
                gettext(
                    "Stopped checking automatically after {minutes} min. "
                    "If you have paid, click Check payment."
                ).format(minutes=minutes)
            ],
            "warning",
        )


def _row(children: list[Any]) -> HBox:
    """A row that wraps on a narrow screen instead of squeezing its buttons."""
    row = HBox(children)
    row.add_class("infrai-form-row")
    return row
