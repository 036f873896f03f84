"""Test-wide setup: a headless matplotlib backend for tests and doctests."""

import matplotlib

matplotlib.use("Agg")
