"""The session's usage ledger: every answer the client received, what it cost, and totals.

The client records each answer in one place (``BaseClient._parse``), so every client
of the process (the default one, explicit ones, the form's) writes to one ledger:
``account.usage()`` and ``%infrai_usage`` read it. ``cost_usd`` is kept exactly as
the server sent it (sub-cent amounts too); a failed answer's cost is unknown (``None``),
not zero. An attempt that got no answer at all (a refused connection) is not an entry.
The card shows times in the kernel's local time zone (its heading names it) and speaks
the session's language; the CSV keeps ISO 8601 UTC.
"""

from __future__ import annotations

import csv
import importlib
import io
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ._i18n import gettext
from .display import Card, CardField, CardTable, CardView

COLUMNS = ("time", "capability", "status", "cost_usd", "latency_ms", "request_id")


@dataclass(frozen=True)
class UsageEntry:
    """One answer: when, which capability, its HTTP status, cost, latency and request id.

    ``latency_ms`` is the server's own figure from the envelope's metadata.
    """

    time: datetime
    capability: str
    status: int
    cost_usd: Decimal | None
    latency_ms: int | None
    request_id: str

    def to_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


def exact_usd(amount: Decimal | None) -> str:
    """``$20.00``, ``$0.0035``: cents always shown, sub-cent digits never rounded away."""
    if amount is None:
        return "—"
    places = max(2, -int(amount.normalize().as_tuple().exponent))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


class UsageLedger:
    """The calls of this session, in order; safe to record from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[UsageEntry] = []

    def record(self, entry: UsageEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def reset(self) -> None:
        """Start over: the ledger forgets every entry (the server's records stay)."""
        with self._lock:
            self._entries.clear()

    @property
    def entries(self) -> tuple[UsageEntry, ...]:
        with self._lock:
            return tuple(self._entries)

    @property
    def total_cost_usd(self) -> Decimal:
        """The exact sum of every known cost."""
        return sum((e.cost_usd for e in self.entries if e.cost_usd is not None), Decimal("0"))

    def __len__(self) -> int:
        return len(self.entries)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per call, with the columns of :data:`COLUMNS` (costs as ``Decimal``)."""
        return [entry.to_record() for entry in self.entries]

    def to_csv(self) -> str:
        """The calls as CSV text, a header row first; times in ISO 8601 UTC."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in self.entries:
            writer.writerow(_csv_cell(value) for value in entry.to_record().values())
        return out.getvalue()

    def to_dataframe(self) -> Any:
        """The calls as a pandas ``DataFrame`` (pandas is imported only here, on demand)."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise ImportError(
                "to_dataframe() needs pandas (pip install pandas); to_records() and "
                "to_csv() need nothing."
            ) from None
        return pandas.DataFrame(self.to_records(), columns=list(COLUMNS))

    def card(self) -> Card:
        entries = self.entries
        failed = sum(1 for e in entries if e.status >= 400)
        rows = tuple(
            (
                e.time.astimezone().strftime("%H:%M:%S"),
                e.capability,
                str(e.status),
                exact_usd(e.cost_usd),
                "—" if e.latency_ms is None else f"{e.latency_ms} ms",
                e.request_id or "—",
            )
            for e in entries
        )
        return Card(
            kind="usage",
            title=gettext("Session usage"),
            hero=exact_usd(self.total_cost_usd),
            hero_caption=gettext("spent in this session"),
            fields=(
                CardField(gettext("Calls"), str(len(entries))),
                CardField(gettext("Failed"), str(failed)),
            ),
            table=CardTable(
                (
                    _time_heading(),
                    gettext("Capability"),
                    gettext("Status"),
                    gettext("Cost"),
                    gettext("Latency"),
                    gettext("Request id"),
                ),
                rows,
                empty_message=gettext("No calls yet in this session."),
                code_columns=(1, 5),
            ),
            commands=("%infrai_usage --reset",) if entries else (),
            tone="warning" if failed else "normal",
        )

    def __repr__(self) -> str:
        return repr(CardView(self.card()))

    def _repr_html_(self) -> str:
        return CardView(self.card())._repr_html_()

    def _repr_markdown_(self) -> str:
        return CardView(self.card())._repr_markdown_()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _time_heading() -> str:
    """``Time (CET)``: the times' column heading, naming the kernel's time zone."""
    zone = datetime.now().astimezone().strftime("%Z")
    if not zone:
        return gettext("Time (local time)")
    return gettext("Time ({zone})").format(zone=zone)


def _csv_cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def now() -> datetime:
    return datetime.now(timezone.utc)


session_ledger = UsageLedger()
"""The one ledger of this process: every client records here."""
