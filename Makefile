# The two commands a reader needs: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: book test browser vendor lab strip clean lock help

help:
	@echo "make book   build the website into _build/html (creates .venv on first use)"
	@echo "make test   run the whole test suite (unit, doctests, notebooks, strict build)"
	@echo "make lab    open the chapters in JupyterLab"
	@echo "make strip  remove outputs from every notebook before committing"
	@echo "make clean  remove _build (keeps .venv)"
	@echo "make vendor refresh the widget front end in _assets/widgets (needs npm; the files are committed)"

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

book: $(STAMP) $(NAGCORE)
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo
	@echo "The book is built. Open it in a browser:"
	@echo "    file://$(CURDIR)/_build/html/index.html"

test: book browser
	$(BIN)/python -m pytest

# The browser test drives a system Chromium; this finds one, installs it on Debian as root, or fails.
browser:
	@scripts/ensure_browser.sh

vendor: $(STAMP)
	scripts/vendor_widgets.sh $(BIN)/python

lab: $(STAMP)
	$(BIN)/jupyter lab chapters

strip: $(STAMP)
	$(BIN)/nbstripout --keep-id chapters/*.ipynb

lock: $(STAMP)
	@echo "# Exact pins for the book, its tests and the notebooks (regenerate with: make lock)." > requirements.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^nagcore' >> requirements.txt
	@echo "-e ." >> requirements.txt

clean:
	rm -rf _build
