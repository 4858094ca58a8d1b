# The two commands a reader needs: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: book test browser vendor lab strip clean lock help assignments grade-demo pdf linkcheck

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
	@echo "make vendor refresh the widget front end in _assets/widgets (needs npm; the files are committed)"
	@echo "make assignments  student notebooks and autograder zips into _build/assignments"
	@echo "make grade-demo   grade three sample submissions (right, blank, wrong) of assignment 3"
	@echo "make pdf    the whole book as one PDF, _build/pdf/rolling-downhill.pdf (needs Chromium)"
	@echo "make linkcheck  check the external links of the book (needs the network; not part of make test)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

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
	$(BIN)/python assignments/grade_folder.py _build/assignments/autograder/hw03_nesterov.zip \
		_build/grade-demo/submissions -o _build/grade-demo/grades.csv

clean:
	rm -rf _build
