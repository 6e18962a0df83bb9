# `make demo` and `make test` set up .venv/ on first use, then do their job.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench fixtures clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(PY) -m crawler.demo

test: $(INSTALLED)
	$(PY) -m pytest -q

# Figures, not assertions: ms/page of each cleaning stage against trafilatura alone.
bench: $(INSTALLED)
	$(PY) bench/stages.py

# Regenerate the fixture site and its golden documents from fixtures/articles (review the diff).
fixtures:
	$(PYTHON) fixtures/build.py

clean:
	rm -rf output .state .pytest_cache
