"""The course notebooks; the report notebook (retention_report.ipynb) is installed from here
as package data, so ``retention-kit report`` finds it without a clone (see pyproject.toml)."""
