"""``%infrai_accounts``, ``%infrai_login``, ``%infrai_logout`` and ``%infrai_usage``.

The magics of a session trusted with money: which accounts are kept and which is in
use, signing in and out without a key in the notebook, and what the session cost.
They share :class:`~.core.InfraiMagics`' session and its one error boundary.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .._i18n import N_, _
from .core import _without_comment

if TYPE_CHECKING:
    from .._usage import UsageLedger
    from ..display import CardView
    from .core import InfraiMagics


@magics_class
class InfraiAccountMagics(Magics):
    """Accounts, sign-in and usage; one instance per shell, beside ``InfraiMagics``."""

    def __init__(self, shell: Any, core: InfraiMagics) -> None:
        super().__init__(shell=shell)
        self.core = core

    @magic_arguments()
    @argument("--use", metavar="WHICH", default=None, help=N_("Switch to this kept account."))
    @line_magic
    def infrai_accounts(self, line: str) -> CardView:
        """List the accounts kept on this computer: masked key, id, server, which is in use,
        and the balance where the server answers. WHICH is an account id, a number from
        the list, or the key's last characters. Example::

            %infrai_accounts
            %infrai_accounts --use 2
        """
        from .. import _default
        from ..display import CardView
        from .account_cards import accounts_card

        args = parse_argstring(self.infrai_accounts, _without_comment(line))
        if args.use is not None:
            self.core._call(lambda: _default.account.switch(args.use))
        session = self.core._call(self.core.session.client).config
        return CardView(self.core._call(lambda: accounts_card(session)))

    @magic_arguments()
    @argument("--save", action="store_true", help=N_("Also keep the key in ~/.infrai/credentials."))
    @line_magic
    def infrai_login(self, line: str) -> Any:
        """Sign in with a key you already have, without it ever showing in the notebook.

        Reads Colab's secret INFRAI_API_KEY when granted; otherwise a masked field
        (or a hidden prompt in a terminal). The key is checked with one call before
        the session uses it. Example::

            %infrai_login
            %infrai_login --save
        """
        from .._login import colab_secret, sign_in

        args = parse_argstring(self.infrai_login, _without_comment(line))
        secret = colab_secret()
        if secret is not None:
            return str(self.core._call(lambda: sign_in(secret, source="Colab", save=args.save)))
        if self.core._has_widget_frontend():
            from ..widgets.login import LoginForm

            return LoginForm(
                lambda key, save: str(sign_in(key, source="%infrai_login", save=save)),
                save=args.save,
            )
        key = getpass.getpass(_("infrai project key (hidden): "))
        return str(self.core._call(lambda: sign_in(key, source="%infrai_login", save=args.save)))

    @magic_arguments()
    @argument(
        "--forget",
        action="store_true",
        help=N_("Also delete the key from ~/.infrai/credentials, for good (asks first)."),
    )
    @argument("--yes", action="store_true", help=N_("With --forget: do not ask, delete."))
    @line_magic
    def infrai_logout(self, line: str) -> str:
        """Forget this session's key; with --forget, delete it from disk too.

        An anonymous account has no password: a deleted key cannot be recovered, so
        --forget asks first. Example::

            %infrai_logout
            %infrai_logout --forget
        """
        from .. import _default
        from .._login import sign_out
        from ..contract import mask_key

        args = parse_argstring(self.infrai_logout, _without_comment(line))
        key = self.core._call(self.core.session.client).config.api_key
        if key is None:
            return _("No key in this session: nothing to sign out of.")
        if args.forget:
            question = _(
                "Delete {key} from this computer for good? Without the key, its account and "
                "balance cannot be reached again. Type yes to delete: "
            ).format(key=mask_key(key))
            if not args.yes and input(question).strip().lower() != "yes":
                raise UsageError(_("Nothing deleted; the session still uses the key."))
            self.core._call(lambda: _default.account.forget(key))
        sign_out()
        if args.forget:
            return _("Signed out of {key} and deleted it from ~/.infrai/credentials.").format(
                key=mask_key(key)
            )
        return _("Signed out of {key}.").format(key=mask_key(key))

    @line_magic
    def infrai_doctor(self, line: str) -> Any:
        """A redacted report to paste into a support request: front end, widgets, key
        source (masked), whether the server answers, proxy and CA settings, clock skew,
        the sandbox and versions. Example::

            %infrai_doctor
        """
        from .._doctor import diagnose, front_end_name

        if _without_comment(line).strip():
            raise UsageError(_("%infrai_doctor takes no arguments"))
        has_kernel = self.core._has_widget_frontend()
        widgets = _widgets_verdict(has_kernel)
        return diagnose(
            front_end=front_end_name(has_kernel),
            widgets=widgets,
            sandbox_url=self.core.session.sandbox_url,
        )

    @magic_arguments()
    @argument("--reset", action="store_true", help=N_("Start the ledger over."))
    @line_magic
    def infrai_usage(self, line: str) -> UsageLedger:
        """Every call of this session: time, capability, status, exact cost, latency,
        request id, with totals. ``u = %infrai_usage`` then ``u.to_csv()``,
        ``u.to_records()`` or ``u.to_dataframe()``. Example::

            %infrai_usage
            %infrai_usage --reset
        """
        from .._usage import session_ledger

        args = parse_argstring(self.infrai_usage, _without_comment(line))
        if args.reset:
            session_ledger.reset()
        return session_ledger


def _widgets_verdict(has_kernel: bool) -> str:
    if not has_kernel:
        return _("cannot show here (no kernel): the magics print text and links instead")
    try:
        import ipywidgets
    except ImportError:
        return _("ipywidgets is not installed: pip install ipywidgets")
    return _("can show (ipywidgets {version})").format(version=ipywidgets.__version__)
