"""Bundled data files (see README.md in this folder); read them with retention_kit.load_*."""
