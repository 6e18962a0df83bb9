# `make demo` and `make test` set up .venv/ on first use, then do their job.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo demo-seeds test bench bench-memory bench-nginx eval fixtures clean services

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(PY) -m crawler.demo

# `scrapy seeds` (the seed doctor) on the bundled site: what to run on a real seed before its first crawl.
demo-seeds: $(INSTALLED)
	$(PY) -m crawler.demo seeds

# A Debian package, installed when its command is missing (as root, or with sudo).
define debian_package
	@command -v $(1) >/dev/null || [ -x /usr/sbin/$(1) ] || { \
	  echo "installing $(1) (Debian package)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q $(1) >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q $(1) >/dev/null; }; }
endef

# The tests start real servers and programs: redis-server for the Redis state store, and a
# headless Chromium that renders the explain report (Debian's packages).
services:
	$(call debian_package,redis-server)
	$(call debian_package,chromium)

test: $(INSTALLED) services
	$(PY) -m pytest -q

# Figures, not assertions (bench/): ms/page of each cleaning stage on the fixture pages; crawl
# throughput, CPU and memory on a generated 2,000-page Arabic site served by Debian's nginx on
# loopback against the trafilatura command line, with per-stage ms/page on those pages; the
# state store from 10k to 1M documents; cleaning time per MB on generated 1-10 MB pages (flat
# when no step is super-linear); re-cleaning the same pages from one WARC file and as HTML
# files against the trafilatura command line on those files with --parallel = cores. The site
# (and its WARC) is generated once into ~/.cache/arabic-news-bench.
# BENCH_FULL=1 adds the 20,000-page memory run (also alone: make bench-memory).
bench: $(INSTALLED) services bench-nginx
	$(PY) bench/stages.py
	$(PY) bench/crawl.py
	$(PY) bench/archive.py
	$(PY) bench/store.py
	$(PY) bench/big_pages.py
	$(if $(filter 1,$(BENCH_FULL)),$(PY) bench/memory.py)

bench-memory: $(INSTALLED) bench-nginx
	$(PY) bench/memory.py

# The bench serves its site with Debian's nginx (run as the current user from its own config).
bench-nginx:
	$(call debian_package,nginx)

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
