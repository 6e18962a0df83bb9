# `make demo` and `make test` set up .venv/ on first use, then do their job.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench eval fixtures clean services

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(PY) -m crawler.demo

# The tests start real servers: redis-server for the Redis state store (Debian's package).
services:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian package)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q redis-server >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q redis-server >/dev/null; }; }

test: $(INSTALLED) services
	$(PY) -m pytest -q

# Figures, not assertions: ms/page of each cleaning stage against trafilatura alone.
bench: $(INSTALLED)
	$(PY) bench/stages.py

# Text quality next to trafilatura and newspaper4k, on the fixture set and its
# attribute-stripped copy (or on any set in score.py's layout: make eval SET=/path/to/set).
# newspaper4k is a peer we score, not a dependency; it is installed on its own because
# pip 23's resolver trips over the lxml[html_clean] extra that it and trafilatura share.
EVAL_INSTALLED := $(VENV)/.installed-eval
$(EVAL_INSTALLED): $(INSTALLED)
	$(PY) -m pip install --quiet --disable-pip-version-check 'newspaper4k[nlp]>=0.9'
	touch $(EVAL_INSTALLED)

eval: $(EVAL_INSTALLED)
	$(PY) bench/eval.py $(if $(SET),--set $(SET))

# Regenerate the fixture site and its golden documents from fixtures/articles (review the diff).
fixtures:
	$(PYTHON) fixtures/build.py

clean:
	rm -rf output .state .pytest_cache
