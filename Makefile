# The only entry points (STYLE.md). Everything installs into .venv on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo serve worker test check static lint format messages bench bench-deps vendor clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Set up everything and serve the Souss-Massa 2018 demo on http://127.0.0.1:$(PORT)
demo: install
	PORT=$(PORT) $(BIN)/tashawur demo

serve: install
	$(BIN)/tashawur serve

worker: install
	$(BIN)/tashawur worker

## The whole suite: SQLite, then PostgreSQL when DATABASE_URL is set or a local server answers
## (its database tests), then the numerical pass; each on one pytest-xdist worker per core
test: install
	@bash scripts/run-tests $(ARGS)

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

messages: install
	cd src/tashawur && ../../$(BIN)/django-admin makemessages --settings=tashawur.config.settings_test -l ar -l fr --no-obsolete --ignore 'synthesis/*'
	cd src/tashawur && ../../$(BIN)/django-admin compilemessages --settings=tashawur.config.settings_test

## Fetch the vendored front-end files by npm package name and verify their checksums
## (ARGS=--update rewrites the checksums in VENDOR.md after a version bump)
vendor:
	bash scripts/vendor $(ARGS)

## The checks that are not tests: lint, types, migrations, messages, deploy settings
static: lint
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	TASHAWUR_ENV=test $(BIN)/tashawur manage makemigrations --check --dry-run
	cd src/tashawur && ../../$(BIN)/django-admin compilemessages --settings=tashawur.config.settings_test
	git diff --exit-code -- 'src/tashawur/locale/*.mo' || (echo "compiled messages are stale: run make messages" && exit 1)
	TASHAWUR_ENV=production TASHAWUR_SECRET_KEY=check-deploy-$$(printf 'k%.0s' $$(seq 1 60)) \
	  TASHAWUR_ALLOWED_HOSTS=tashawur.example DATABASE_URL=postgres://u@127.0.0.1:5432/db \
	  $(BIN)/tashawur manage check --deploy --fail-level WARNING

## Everything CI checks, the same locally and in CI: the static checks, then make test
check: static test

## Benchmarks (not tests): print figures and ratios to named peers; see docs/benchmarks.md
bench-deps: install
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r benchmarks/requirements-nodeps.txt

bench: bench-deps
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
