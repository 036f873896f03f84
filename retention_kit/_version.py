"""The one place the version is written: pyproject.toml reads it (dynamic version), the
package, the report header and ``retention-kit --version`` show it, and
tests/test_packaging.py checks README.md and CHANGELOG.md name it."""

__version__ = "0.2.0"
