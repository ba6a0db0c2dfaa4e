"""The project's benchmarks: ``python -m benchmarks [--quick]`` runs them all.

Every benchmark is a ratio against a baseline measured in the same run, so numbers
from a loaded machine still compare. See README.md for what each ratio means.
"""
