"""Real-browser JupyterLab tests (a package so the harness module imports relatively)."""
