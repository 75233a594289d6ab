# The two commands of the README: `make demo` and `make test`. Both create .venv when missing.
VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
# The pinned CPU build that this machine serves locally; override for another platform,
# e.g. `make test TORCH_SPEC='torch>=2.2'`.
TORCH_SPEC ?= torch==2.13.0
# Read benchmark/test data from ../shared/data when it is there (see rnnkit.datasets).
export RNNKIT_DATA_DIR ?= $(wildcard $(abspath ..)/shared/data)
DEMO_DIR  := runs/demo

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check '$(TORCH_SPEC)'
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: install
	@bash scripts/demo.sh $(DEMO_DIR)

test: install
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache build src/*.egg-info
