"""Execute notebooks in place and keep only the outputs that nbval checks.

Policy (see README, "Notebooks in git"): notebooks are committed with their outputs
stripped, except cells tagged ``nbval-check-output``. Those print the numbers that matter
as plain text; ``pytest --nbval-lax`` re-executes every notebook and compares exactly
those outputs. Run this after changing a notebook or anything its numbers depend on:

    .venv/bin/python tools/refresh_notebooks.py notebooks/01_customer_retention_rate.ipynb
    .venv/bin/python tools/refresh_notebooks.py            # every notebook
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECK_TAG = "nbval-check-output"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
ROOT = Path(__file__).resolve().parents[1]


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"],
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - started
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if CHECK_TAG not in cell.metadata.get("tags", []):
            cell.outputs = []
            cell.execution_count = None
        else:
            # Plain text only: rich reprs (HTML, images) are not compared and bloat git.
            for out in cell.outputs:
                if "data" in out:
                    out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
    nb.metadata.pop("widgets", None)
    # The kernel spec ipykernel installs: with another display name JupyterLab rewrites the
    # metadata on opening and every notebook opens as modified.
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").rglob("*.ipynb"))
    for path in paths:
        if ".ipynb_checkpoints" in path.parts:
            continue
        print(f"{path}: executed in {refresh(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
