"""Shared test settings."""
import matplotlib

matplotlib.use("Agg")  # unit tests draw off-screen; notebooks keep their own inline backend

# Fixture notebooks (some deliberately stale) are run by tests that expect them to fail or pass,
# never collected directly by `pytest --nbval`.
collect_ignore_glob = ["fixtures/*"]
