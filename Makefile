# retention_kit: every target sets itself up (virtual environment + install) first.
#   make report   execute every notebook on the bundled data -> reports/<notebook>.html
#   make test     unit tests, doctests and the notebooks under nbval
#   make lab      JupyterLab on notebooks/ with the project's environment
#   make bench    benchmarks (prints tables; see benchmarks/README.md)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb notebooks/solutions/*.ipynb))

.PHONY: install report test lab bench notebooks data clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "retention_kit needs Python 3.11 or newer, found %d.%d: run make PYTHON=python3.11 ..." % v[:2])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

# rk_lab: nbconvert's lab template with each figure's alt text (shipped in the package; the
# report command uses it too).
report: $(STAMP)
	@mkdir -p reports
	$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=900 \
		--ExecutePreprocessor.extra_arguments=--IPKernelApp.log_level=ERROR \
		--template rk_lab '--TemplateExporter.extra_template_basedirs=$(CURDIR)/retention_kit/templates' \
		--output-dir reports $(NOTEBOOKS)
	@echo "Reports written to $(CURDIR)/reports/:" && ls -1 reports/*.html

test: $(STAMP)
	$(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) \
		'--ContentsManager.hide_globs=["__pycache__","*.pyc","*.pyo",".DS_Store","*~","__init__.py"]'
# notebooks/__init__.py makes the report notebook package data; hidden from the file browser.

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/run.py $(ARGS)

# Write the exercises' headings and questions from retention_kit/course (their single source),
# then re-execute notebooks and keep only the outputs nbval checks (see README).
notebooks: $(STAMP)
	$(BIN)/python tools/render_course.py
	$(BIN)/python tools/refresh_notebooks.py

# Re-write the saved coffee-shop run in data/ from retention_kit.simulate_shop.
data: $(STAMP)
	$(BIN)/python -c "from retention_kit.datasets.shop import save_default_run; save_default_run('data')"

clean:
	rm -rf $(VENV) reports build *.egg-info
