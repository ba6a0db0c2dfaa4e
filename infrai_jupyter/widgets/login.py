"""The sign-in form: a password field whose value is cleared the moment it is read.

Like Hugging Face's ``notebook_login``, but the key is checked before it is adopted,
and it never stays in widget state (which a saved notebook may keep): the field is
emptied before the check starts, whatever the check's outcome. Its words are those of
the language the session spoke when the form was built (it is not re-translated live).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from .._i18n import gettext
from ..errors import InfraiError


class LoginForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A masked key field, a "save on this computer" box, a button and a status line.

    ``sign_in(key, save)`` does the work and returns the sentence to show; an
    ``InfraiError`` it raises is shown (it never holds the key) and the form stays.
    """

    def __init__(self, sign_in: Callable[[str, bool], str], *, save: bool = False) -> None:
        self._sign_in = sign_in
        self.password = widgets.Password(
            description=gettext("Project key"),
            placeholder="ifr_pk_proj_…",
            layout=widgets.Layout(width="28rem"),
        )
        self.save = widgets.Checkbox(
            value=save, description=gettext("Save on this computer"), indent=False
        )
        self.button = widgets.Button(description=gettext("Sign in"), button_style="primary")
        self.status = widgets.HTML(value="")
        self.button.on_click(self._submit)
        self.password.continuous_update = False
        super().__init__(children=[self.password, self.save, self.button, self.status])

    def _submit(self, _button: widgets.Button) -> None:
        key, self.password.value = self.password.value, ""  # never left in widget state
        if not key.strip():
            self._say(gettext("Paste your project key in the field first."), error=True)
            return
        self.button.disabled = True
        self._say(gettext("Checking the key…"), error=False)
        try:
            said = self._sign_in(key, self.save.value)
        except InfraiError as error:
            self._say(str(error), error=True)
        else:
            self._say(said, error=False)
        finally:
            self.button.disabled = False

    def _say(self, text: str, *, error: bool) -> None:
        colour = "var(--jp-error-color1, #b00020)" if error else "inherit"
        role = "alert" if error else "status"
        self.status.value = f'<div role="{role}" style="color:{colour}">{escape(text)}</div>'
