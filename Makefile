# The two commands a reader needs: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: book test browser vendor lab strip clean lock help assignments grade-demo pdf linkcheck bench mutants
.PHONY: venv check-venv grade sandbox hub hub-proxy distclean

# Course assignments: instructor sources in assignments/, built by `otter assign` into
# _build/assignments/<name>/ and copied to _build/assignments/student/<name>.ipynb (hand out)
# and _build/assignments/autograder/<name>.zip (grade with).
ASSIGNMENTS := $(basename $(notdir $(wildcard assignments/hw*.ipynb)))
STUDENT_NBS := $(ASSIGNMENTS:%=_build/assignments/student/%.ipynb)

help:
	@echo "make book   build the website into _build/html (creates .venv on first use)"
	@echo "make test   run the whole test suite (unit, doctests, notebooks, strict build)"
	@echo "make lab    open the chapters in JupyterLab"
	@echo "make strip  remove outputs from every notebook before committing"
	@echo "make clean  remove _build (keeps .venv)"
	@echo "make distclean  remove _build, .venv and hub/node_modules (a fresh clone's state)"
	@echo "make vendor refresh the widget front end in _assets/widgets (needs npm; the files are committed)"
	@echo "make assignments  student notebooks and autograder zips into _build/assignments"
	@echo "make grade-demo   grade three sample submissions (right, blank, wrong) of assignment 3"
	@echo "make grade ASSIGNMENT=<name> SUBMISSIONS=<folder> [OUT=<csv>]  grade a folder, each submission sandboxed"
	@echo "make hub   a JupyterHub for a lab session on this machine (HUB_IP=0.0.0.0 HUB_PASSWORD=...)"
	@echo "make pdf    the whole book as one PDF, _build/pdf/rolling-downhill.pdf (needs Chromium)"
	@echo "make linkcheck  check the external links of the book (needs the network; not part of make test)"
	@echo "make bench  measure nagcore and the book (ratios) into bench/results.md (minutes; not part of make test)"
	@echo "make mutants      mutation testing of nagcore with the fast unit tests (long; not part of make test;"
	@echo "                  one worker: MUTANTS_JOBS=N runs N at once)"

# .venv is checked on every run (about 0.1 s) and created, repaired or updated when needed:
# scripts/ensure_venv.sh says why when it rebuilds, and what to do when PYTHON cannot be used.
# PYTHON=python3.12 (on the command line or in the environment) asks for that interpreter.
$(STAMP): check-venv
	@scripts/ensure_venv.sh "$(PYTHON)" $(VENV) $@ $(if $(filter command% environment%,$(origin PYTHON)),explicit)
check-venv:
venv: $(STAMP)

# jupyter-cache keys on the notebooks alone, but their outputs (and the front end the widgets
# embed) also depend on nagcore: when nagcore changes, the cache is dropped and chapters re-run.
NAGCORE := _build/.nagcore-$(shell cat nagcore/*.py nagcore/widgets/* | cksum | cut -d' ' -f1)
$(NAGCORE):
	rm -rf _build/.jupyter_cache _build/.doctrees _build/.nagcore-*
	@mkdir -p _build && touch $@

# The PDF of the whole book is printed by Chromium from the single-page build. `make book` prints
# it when a Chromium is found (make test finds one first) and only then links it from the site
# (BOOK_PDF, see _ext/run_downloads.py), so that the link is never dead.
PDF := _build/pdf/rolling-downhill.pdf
PDF_SOURCES := _config.yml _toc.yml $(wildcard *.md chapters/*.ipynb _ext/*.py nagcore/*.py nagcore/widgets/*) \
	references.bib _assets/print.css scripts/print_pdf.py

book: $(STAMP) $(NAGCORE) assignments
	@if scripts/ensure_browser.sh --find >/dev/null 2>&1; then pdf=1; else pdf=; fi; \
	BOOK_PDF=$$pdf $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going && \
	if [ -n "$$pdf" ]; then $(MAKE) --no-print-directory pdf; \
	else echo "No Chromium found: the site is built without the PDF of the book (see README)."; fi
	@echo
	@echo "The book is built. Open it in a browser:"
	@echo "    file://$(CURDIR)/_build/html/index.html"

test: browser book
	$(BIN)/python -m pytest

pdf: $(PDF)
	@if [ -d _build/html ]; then mkdir -p _build/html/downloads && cp $(PDF) _build/html/downloads/; fi

$(PDF): $(STAMP) $(NAGCORE) $(STUDENT_NBS) $(PDF_SOURCES)
	@scripts/ensure_browser.sh
	$(BIN)/jupyter-book build . --builder singlehtml --warningiserror --nitpick --keep-going
	$(BIN)/python scripts/print_pdf.py _build/singlehtml/intro.html $@

# External links only: they need the network, so this is not part of `make test` (which checks
# every internal link and anchor of the built site).
linkcheck: $(STAMP) $(NAGCORE)
	$(BIN)/jupyter-book build . --builder linkcheck

# The browser test drives a system Chromium; this finds one, installs it on Debian as root, or fails.
browser:
	@scripts/ensure_browser.sh

vendor: $(STAMP)
	scripts/vendor_widgets.sh $(BIN)/python

lab: $(STAMP)
	$(BIN)/jupyter lab chapters $(if $(filter 0,$(shell id -u)),--allow-root)

strip: $(STAMP)
	$(BIN)/nbstripout --keep-id chapters/*.ipynb assignments/*.ipynb

lock: $(STAMP)
	@echo "# Exact pins for the book, its tests and the notebooks (regenerate with: make lock)." > requirements.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^nagcore' >> requirements.txt
	@echo "-e ." >> requirements.txt

assignments: $(STUDENT_NBS)

_build/assignments/student/%.ipynb: assignments/%.ipynb $(STAMP)
	@rm -rf _build/assignments/$*
	$(BIN)/otter assign assignments/$*.ipynb _build/assignments/$*
	@mkdir -p _build/assignments/student _build/assignments/autograder
	cp _build/assignments/$*/autograder/$*-autograder_*.zip _build/assignments/autograder/$*.zip
	cp _build/assignments/$*/student/$*.ipynb $@

grade-demo: assignments
	@rm -rf _build/grade-demo
	$(BIN)/python assignments/demo_submissions.py _build/assignments/hw03_nesterov _build/grade-demo/submissions
	@$(MAKE) --no-print-directory grade ASSIGNMENT=hw03_nesterov SUBMISSIONS=_build/grade-demo/submissions \
		OUT=_build/grade-demo/grades.csv

# Grade a folder of submissions, each in its own bubblewrap sandbox (assignments/grade_folder.py;
# instructors.md). GRADE_FLAGS passes more options, e.g. GRADE_FLAGS="--timeout 600 --jobs 4".
OUT ?= _build/grades/$(ASSIGNMENT).csv
ifneq ($(filter grade,$(MAKECMDGOALS)),)
  $(if $(and $(ASSIGNMENT),$(SUBMISSIONS)),,$(error usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<folder> [OUT=<csv>]))
  $(if $(filter $(ASSIGNMENT),$(ASSIGNMENTS)),,$(error no assignment $(ASSIGNMENT); the assignments are: $(ASSIGNMENTS)))
endif
grade: assignments sandbox
	$(BIN)/python assignments/grade_folder.py _build/assignments/autograder/$(ASSIGNMENT).zip \
		$(SUBMISSIONS) -o $(OUT) $(GRADE_FLAGS)

# bubblewrap, for grading: found, installed on Debian as root, or a clear error.
sandbox:
	@scripts/ensure_bwrap.sh

# A JupyterHub for a lab session on this machine (hub/jupyterhub_config.py, instructors.md).
# HUB_IP=0.0.0.0 lets students' machines in; HUB_PASSWORD sets the shared password (else one is
# made up and printed); HUB_PORT (8000). Stop it with Ctrl-C.
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
hub: assignments $(HUB_PROXY)
	HUB_STATE=_build/hub $(BIN)/jupyterhub -f hub/jupyterhub_config.py

# configurable-http-proxy, the hub's proxy: the npm versions pinned in hub/package-lock.json
hub-proxy: $(HUB_PROXY)
$(HUB_PROXY): hub/package.json hub/package-lock.json
	@command -v npm >/dev/null || { echo "make hub needs Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --prefix hub --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf _build

# Benchmarks (not part of `make test`): ratios measured in one run, written to bench/results.md.
bench: $(STAMP) browser
	$(BIN)/python bench/bench.py

# Mutation testing (not part of `make test`). mutmut lives in its own environment, installed on first
# use from bench/mutants-requirements.txt: its text UI needs markdown-it-py 4, the book's myst-parser 3.
MUTANTS_VENV := .venv-mutants
MUTANTS_JOBS ?= 1
mutants:
	@test -x $(MUTANTS_VENV)/bin/python || $(PYTHON) -m venv $(MUTANTS_VENV)
	$(MUTANTS_VENV)/bin/python -m pip install --quiet -r bench/mutants-requirements.txt
	rm -rf mutants
	$(MUTANTS_VENV)/bin/mutmut run --max-children $(MUTANTS_JOBS) > /dev/null || true
	$(MUTANTS_VENV)/bin/python bench/mutants_report.py $(MUTANTS_VENV)/bin/mutmut

distclean: clean
	rm -rf $(VENV) $(MUTANTS_VENV) mutants hub/node_modules
