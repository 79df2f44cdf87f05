# The two commands the README shows: `make demo` and `make test`.
# Both do all set-up first (Debian packages, a virtualenv, the package), and
# are safe to run again.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test fuzz bench setup apt constraints clean examples docs

demo: setup
	$(BIN)/terminal demo

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# Longer fuzzing with fresh examples (make test is derandomised: same commit, same result).
# Turn every failure it prints into an @example(...) on that test.
FUZZ_ROUNDS ?= 10
fuzz: setup
	@for round in $$(seq $(FUZZ_ROUNDS)); do \
	  echo "fuzz round $$round of $(FUZZ_ROUNDS)"; \
	  QT_QPA_PLATFORM=offscreen HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -m hypothesis \
	    -p no:cacheprovider $(PYTEST_ARGS) || exit 1; \
	done

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

setup: apt $(STAMP)

apt:
	@sh scripts/apt-ensure apt-packages.txt

$(STAMP): setup.cfg pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "service-terminals needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Run make with PYTHON=python3.11 (or newer)." >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

# After editing install_requires in setup.cfg: re-pin everything in a scratch venv.
constraints:
	rm -rf .constraints-venv && $(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/pip install -q -e '.[test]'
	{ echo "# Every install path (make, CI, device images) installs with -c constraints.txt."; \
	  echo "# Regenerate: make constraints (after changing setup.cfg)."; \
	  .constraints-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt
	rm -rf .constraints-venv

clean:
	rm -rf $(VENV) .demo .pytest_cache .hypothesis *.egg-info

# The annotated example configs are rendered from the schema; a test keeps them current.
examples: setup
	$(BIN)/terminal config init --role kiosk --state-dir /var/lib/service-terminals --device-id KSK-SHA-0001 --site sha-hq > config/kiosk.toml
	$(BIN)/terminal config init --role dropbox --state-dir /var/lib/service-terminals --device-id DBX-SHA-0001 --site sha-hq > config/dropbox.toml

# docs/cli.md is every command's --help; a test keeps it equal to the program.
docs: setup
	$(BIN)/python -m terminal.clidoc > docs/cli.md
