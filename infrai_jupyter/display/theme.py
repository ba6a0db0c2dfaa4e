"""The card stylesheet: JupyterLab variables first, VS Code's next, a built-in palette last.

Every colour resolves through that chain, so a card follows the host's theme and
still looks right where neither is defined (nbconvert, nbviewer, Colab). The built-in
palette flips to dark wherever JupyterLab, VS Code, Colab (``<html theme="dark">``) or
the browser say the page is dark. Every selector starts with ``.infrai-card`` and names
a class plus an element, enough to beat the ``.jp-RenderedHTMLCommon`` rules without ``!important``.
"""

from __future__ import annotations

import re

_LIGHT = {
    "fg": "#1f2328",
    "strong": "#0d1117",
    "bg": "#ffffff",
    "border": "#d1d9e0",
    "accent": "#0969da",
    "on-accent": "#ffffff",
    "link": "#0969da",
    "error": "#cf222e",
    "warn": "#9a6700",
    "success": "#1a7f37",
}
_DARK = {
    "fg": "#e6edf3",
    "strong": "#f0f6fc",
    "bg": "#0d1117",
    "border": "#3d444d",
    "accent": "#4493f8",
    "on-accent": "#0d1117",
    "link": "#4493f8",
    "error": "#f85149",
    "warn": "#d29922",
    "success": "#3fb950",
}

# Each token: the JupyterLab variable, then the VS Code one, then the built-in palette.
_TOKENS = {
    "fg": ("--jp-ui-font-color1", "--vscode-editor-foreground"),
    "strong": ("--jp-ui-font-color0", "--vscode-editor-foreground"),
    "bg": ("--jp-layout-color0", "--vscode-editor-background"),
    "border": ("--jp-border-color2", "--vscode-panel-border"),
    "accent": ("--jp-brand-color1", "--vscode-button-background"),
    "on-accent": ("--jp-ui-inverse-font-color0", "--vscode-button-foreground"),
    "link": ("--jp-content-link-color", "--vscode-textLink-foreground"),
    "error": ("--jp-error-color1", "--vscode-errorForeground"),
    "warn": ("--jp-warn-color1", "--vscode-editorWarning-foreground"),
    "success": ("--jp-success-color1", "--vscode-testing-iconPassed"),
}

_DARK_SELECTORS = (
    'body[data-jp-theme-light="false"] .infrai-card,'
    " html[theme=dark] .infrai-card,"
    " body.vscode-dark .infrai-card,"
    " body.vscode-high-contrast:not(.vscode-high-contrast-light) .infrai-card"
)
# The browser's preference counts only where the host has not declared a light theme.
_PREFERS_DARK_SELECTOR = (
    'html:not([theme=light]) body:not([data-jp-theme-light="true"]):not(.vscode-light)'
    ":not(.vscode-high-contrast-light) .infrai-card"
)


def _palette(colors: dict[str, str], scheme: str) -> str:
    """Declare the built-in colours one theme falls back to."""
    return "".join(f"--infrai-base-{name}:{value};" for name, value in colors.items()) + (
        f"color-scheme:{scheme};"
    )


_RESOLVED = "".join(
    f"--infrai-{name}:var({jupyter},var({vscode},var(--infrai-base-{name})));"
    for name, (jupyter, vscode) in _TOKENS.items()
)

_RULES = """
.infrai-card{%(light)s %(resolved)s
  --infrai-ui-font:var(--jp-ui-font-family,var(--vscode-font-family,system-ui,-apple-system,
    "Segoe UI",Roboto,Helvetica,Arial,sans-serif));
  --infrai-code-font:var(--jp-code-font-family,var(--vscode-editor-font-family,ui-monospace,
    SFMono-Regular,Menlo,Consolas,monospace));
  --infrai-subtle:color-mix(in srgb,var(--infrai-fg) 5%%,var(--infrai-bg));
  --infrai-tone:var(--infrai-border);
  --infrai-label:color-mix(in srgb,var(--infrai-fg) 84%%,var(--infrai-bg));
  --infrai-shadow:color-mix(in srgb,var(--infrai-fg) 45%%,transparent);
  box-sizing:border-box; display:block; width:%(width)s; margin:4px 0; overflow:hidden;
  text-align:left;
  border:1px solid var(--infrai-border); border-radius:8px;
  background:var(--infrai-bg); color:var(--infrai-fg);
  font-family:var(--infrai-ui-font); font-size:13px; line-height:1.45}
%(dark_selectors)s{%(dark)s}
@media (prefers-color-scheme:dark){%(prefers_dark)s{%(dark)s}}
.infrai-card *{box-sizing:border-box}
.infrai-card.infrai-tone-error{--infrai-tone:var(--infrai-error)}
.infrai-card.infrai-tone-warning{--infrai-tone:var(--infrai-warn)}
.infrai-card.infrai-tone-success{--infrai-tone:var(--infrai-success)}
.infrai-card:not(.infrai-tone-normal){border-left:4px solid var(--infrai-tone)}
.infrai-card div.infrai-header{display:flex; align-items:center; gap:8px; padding:9px 14px;
  border-bottom:1px solid var(--infrai-border); background:var(--infrai-subtle)}
.infrai-card:not(.infrai-tone-normal) div.infrai-header{
  background:color-mix(in srgb,var(--infrai-tone) 9%%,var(--infrai-bg))}
.infrai-card strong.infrai-title{font-size:13px; font-weight:600; color:var(--infrai-strong)}
.infrai-card span.infrai-badge{margin-left:auto; padding:0 8px; border-radius:999px;
  border:1px solid var(--infrai-tone); font-size:12px; font-weight:600; line-height:20px;
  white-space:nowrap;
  color:color-mix(in srgb,var(--infrai-tone) 75%%,var(--infrai-strong))}
.infrai-card div.infrai-body{display:flex; flex-direction:column; gap:12px; padding:12px 14px}
.infrai-card div.infrai-hero{font-size:30px; font-weight:600; line-height:1.1;
  letter-spacing:-0.02em; color:var(--infrai-strong); font-variant-numeric:tabular-nums}
.infrai-card div.infrai-hero-caption{margin-top:4px; font-size:12.5px; color:var(--infrai-label)}
.infrai-card dl.infrai-fields{display:grid; grid-template-columns:max-content minmax(0,1fr);
  gap:5px 18px; margin:0}
.infrai-card dl.infrai-fields dt,.infrai-card dl.infrai-fields dd{float:none; width:auto; margin:0;
  padding:0}
.infrai-card dl.infrai-fields dt{color:var(--infrai-label); font-weight:400}
.infrai-card dl.infrai-fields dd{overflow-wrap:anywhere}
.infrai-card code.infrai-code{padding:1px 5px; border-radius:4px; background:var(--infrai-subtle);
  border:1px solid var(--infrai-border); color:var(--infrai-fg);
  font-family:var(--infrai-code-font); font-size:12px}
.infrai-card .infrai-fields a.infrai-link{color:var(--infrai-link); text-decoration:none}
.infrai-card .infrai-fields a.infrai-link:hover{text-decoration:underline}
.infrai-card span.infrai-warning{color:var(--infrai-error); font-size:12px}
.infrai-card div.infrai-table-scroll{overflow-x:auto; border:1px solid var(--infrai-border);
  border-radius:6px; background:
  linear-gradient(to right,var(--infrai-bg) 30%%,transparent) left/32px 100%% no-repeat local,
  linear-gradient(to left,var(--infrai-bg) 30%%,transparent) right/32px 100%% no-repeat local,
  radial-gradient(farthest-side at 0 50%%,var(--infrai-shadow),transparent)
  left/16px 100%% no-repeat,
  radial-gradient(farthest-side at 100%% 50%%,var(--infrai-shadow),transparent)
  right/16px 100%% no-repeat; background-color:var(--infrai-bg)}
.infrai-card div.infrai-table-scroll:focus-visible{outline:2px solid var(--infrai-accent);
  outline-offset:2px}
.infrai-card table.infrai-table{width:100%%; margin:0; border:0; border-collapse:collapse;
  table-layout:auto; font-size:12.5px; color:var(--infrai-fg)}
.infrai-card table.infrai-table th,.infrai-card table.infrai-table td{padding:6px 12px;
  text-align:left; vertical-align:top; white-space:nowrap; line-height:1.4; border:0}
.infrai-card table.infrai-table th{background:transparent; color:var(--infrai-label);
  font-weight:600; font-size:12px; border-bottom:1px solid var(--infrai-border)}
.infrai-card table.infrai-table tbody tr{background:transparent}
.infrai-card table.infrai-table code.infrai-code{white-space:nowrap}
.infrai-card table.infrai-table tbody tr+tr td{border-top:1px solid var(--infrai-border)}
.infrai-card p.infrai-empty{margin:0; color:var(--infrai-label); font-style:italic}
.infrai-card div.infrai-actions{display:flex; flex-wrap:wrap; align-items:center; gap:8px}
.infrai-card .infrai-actions a.infrai-button{display:inline-flex; align-items:center; gap:6px;
  padding:5px 14px; border-radius:6px; border:1px solid var(--infrai-border);
  background:var(--infrai-subtle); color:var(--infrai-fg); font-size:12.5px; font-weight:600;
  text-decoration:none}
.infrai-card .infrai-actions a.infrai-button:first-of-type{background:var(--infrai-accent);
  border-color:var(--infrai-accent); color:var(--infrai-on-accent)}
.infrai-card .infrai-actions a.infrai-button:hover{filter:brightness(1.08)}
.infrai-card .infrai-actions a.infrai-button:focus-visible,
.infrai-card .infrai-fields a.infrai-link:focus-visible{outline:2px solid var(--infrai-accent);
  outline-offset:2px}
.infrai-card div.infrai-notes p{margin:0; color:var(--infrai-fg)}
.infrai-card div.infrai-notes p+p{margin-top:4px}
.infrai-card pre.infrai-commands{margin:0; padding:8px 12px; border-radius:6px;
  border:1px solid var(--infrai-border); background:var(--infrai-subtle);
  white-space:pre-wrap; word-break:normal; overflow-wrap:anywhere}
.infrai-card pre.infrai-commands code{padding:0; background:transparent; color:var(--infrai-fg);
  font-family:var(--infrai-code-font); font-size:12px; line-height:1.6}
.infrai-card div.infrai-footer{padding:6px 14px; border-top:1px solid var(--infrai-border);
  color:var(--infrai-label); font-size:12px; overflow-wrap:anywhere}
.infrai-card pre.infrai-plain{display:none}
"""


CARD_WIDTH = "min(100%,40rem)"
"""The one width of every card and of the top-up form, so they line up one under another."""


def _minify(css: str) -> str:
    """Drop the layout whitespace: the stylesheet ships inside every card."""
    css = re.sub(r"\s+", " ", css)
    return re.sub(r" ?([{};,]) ?", r"\1", css).strip()


CARD_CSS = _minify(
    _RULES
    % {
        "light": _palette(_LIGHT, "light"),
        "dark": _palette(_DARK, "dark"),
        "resolved": _RESOLVED,
        "dark_selectors": _DARK_SELECTORS,
        "prefers_dark": _PREFERS_DARK_SELECTOR,
        "width": CARD_WIDTH,
    }
)


# The top-up form wears the card's frame: same palette, width, border, header and type sizes.
# Its rules are scoped to ``.infrai-form`` (the form's own class), so nothing else on the
# page changes; ipywidgets' buttons and inputs keep their look apart from focus and errors.
# JupyterLab pads rendered HTML 20px on the right but not a widget's output: in an output
# area the form gives up the same 20px, so it lines up with the cards above and below it.
_FORM_RULES = """
.infrai-form{%(light)s %(resolved)s
  --infrai-label:color-mix(in srgb,var(--infrai-fg) 84%%,var(--infrai-bg));
  box-sizing:border-box; width:%(width)s; margin:4px 0; overflow:hidden;
  border:1px solid var(--infrai-border); border-radius:8px;
  background:var(--infrai-bg); color:var(--infrai-fg); font-size:13px; line-height:1.45;
  font-family:var(--jp-ui-font-family,var(--vscode-font-family,system-ui,sans-serif))}
%(dark_selectors)s{%(dark)s}
@media (prefers-color-scheme:dark){%(prefers_dark)s{%(dark)s}}
.jp-OutputArea-output>.infrai-form{width:min(calc(100%% - 20px),40rem)}
.infrai-form .widget-html.infrai-form-heading{margin:0}
.infrai-form .widget-html:has(>.widget-html-content:empty){display:none}
.infrai-form .infrai-form-row>.widget-text{flex:0 0 auto}
.infrai-form div.infrai-form-header{display:flex; flex-wrap:wrap; align-items:baseline;
  gap:2px 10px; padding:9px 14px; border-bottom:1px solid var(--infrai-border); line-height:1.45;
  background:color-mix(in srgb,var(--infrai-fg) 5%%,var(--infrai-bg))}
.infrai-form div.infrai-form-header strong{font-size:13px; font-weight:600;
  color:var(--infrai-strong)}
.infrai-form div.infrai-form-header span{font-size:12.5px; color:var(--infrai-label)}
.infrai-form .infrai-form-body{padding:10px 14px 12px; gap:4px; overflow:visible}
.infrai-form .infrai-form-row{flex-wrap:wrap; align-items:center; gap:6px 8px; overflow:visible}
.infrai-form .infrai-presets{flex-wrap:wrap; gap:6px; overflow:visible}
.infrai-form .infrai-presets .jupyter-button{flex:0 0 auto; width:auto; min-width:3.75em;
  margin:0}
.infrai-form .jupyter-button:focus-visible,.infrai-form input:focus-visible{
  outline:2px solid var(--infrai-accent); outline-offset:2px}
.infrai-form .infrai-invalid input{border-color:var(--infrai-error);
  box-shadow:0 0 0 1px var(--infrai-error)}
.infrai-form div.infrai-field-error{color:var(--infrai-error); font-size:12.5px;
  padding-left:calc(7em + 8px)}
.infrai-form .infrai-sr-only{position:absolute; width:1px; height:1px; overflow:hidden;
  clip-path:inset(50%%); white-space:nowrap}
.infrai-form div.infrai-form-notice{font-size:12.5px}
.infrai-form div.infrai-form-warning{color:var(--infrai-warn)}
.infrai-form div.infrai-form-error{color:var(--infrai-error)}
"""

FORM_CSS = _minify(
    _FORM_RULES
    % {
        "light": _palette(_LIGHT, "light"),
        "dark": _palette(_DARK, "dark"),
        "resolved": _RESOLVED,
        "dark_selectors": _DARK_SELECTORS.replace(".infrai-card", ".infrai-form"),
        "prefers_dark": _PREFERS_DARK_SELECTOR.replace(".infrai-card", ".infrai-form"),
        "width": CARD_WIDTH,
    }
)
"""The top-up form's stylesheet, shipped in the form itself (an HTML widget's ``<style>``)."""
