# Two entry points do all the set-up on a fresh Debian machine:
#   make demo   installs what is missing, builds, runs the main job
#   make test   installs what is missing, starts PostgreSQL, runs the whole suite once, stops it
# Swift from the PATH, else where this machine kind installs it.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

.PHONY: demo test build setup python-tools

setup:
	@scripts/setup-system

build: setup
	$(SWIFT) build -c release --product tollgate

demo: build
	.build/release/tollgate demo

# schemathesis (PyPI) fuzzes every service against its OpenAPI document during the tests.
SCHEMATHESIS = .venv-schemathesis/bin/st

$(SCHEMATHESIS):
	python3 -m venv .venv-schemathesis
	.venv-schemathesis/bin/pip install -q 'schemathesis>=4.3,<5'

# hdrhistogram (PyPI) decodes the .hlog interval logs of load runs in a test.
HDR_PYTHON = .venv-hdrhistogram/bin/python

$(HDR_PYTHON):
	python3 -m venv .venv-hdrhistogram
	.venv-hdrhistogram/bin/pip install -q 'hdrhistogram>=0.10,<1'

# Suites whose assertions are timings (the load engine's rates held, a stall seen, a loop not
# blocked; a gate's Prometheus measurements taken while its load runs; shards on three hosts
# holding the planned rate): they run after the rest, from the same build, side by side (they
# mostly wait: together they keep a quarter of the machine busy, the rest of the suite all of it).
empty :=
space := $(empty) $(empty)
# The demo is the whole product at once, judged by the guide's absolute limits; it uses a quarter
# of the machine. Beside it, one suite after another, run the judges whose verdicts are relative
# or generous: the canary judge measuring a 150 ms shift (in the gate and on the command line)
# and a whole rollout on the foreign stack (Python services, the guide's p95 of 500 ms). The one
# test that starves both cores on purpose runs last, alone.
DEMO_SUITE = TollgateCLITests.DemoCommandTests
STARVING_TEST = TollgateCLITests.GateJudgeTests/aStarvedMachine
BESIDE_DEMO_SUITES = TollgateCLITests.OwnStackTests TollgateCLITests.JudgeCommandTests TollgateCLITests.GateJudgeTests
TIMED_SUITES = LoadEngineTests.EngineTests TollgateCLITests.PrometheusGateTests TollgateCLITests.PrometheusBreachTests \
  TollgateCLITests.LoadMetricsExportTests TollgateCLITests.MultiHostLoadTests

# The fuzzing suite uses a fifth of the parallel phase's CPU and judges no timing: it runs at the
# lowest priority (nice 19) while the timing suites and the demo run, which leave most of the
# machine idle and, at normal priority, take a core back the moment they want it. It runs from
# the test binary itself: a second `swift test` would wait for the first's lock on .build.
# Of suites that run at the same time in different processes, at most one picks fixed ports
# (TestSupport's freePort hands a port out once per process, not across processes); the
# others listen on ports the system chooses, which freePort never picks.
BACKGROUND_SUITES = ReferenceServicesTests.SchemathesisTests

# scipy (PyPI) is the oracle the canary judge's statistics are checked against.
SCIPY_PYTHON = .venv-scipy/bin/python

$(SCIPY_PYTHON):
	python3 -m venv .venv-scipy
	.venv-scipy/bin/pip install -q 'scipy>=1.11,<2'

# Flask, FastAPI, gunicorn, uvicorn and their Prometheus exporters (PyPI): the foreign stack of
# examples/own-stack, on which a test runs a whole rollout.
OWN_STACK_VENV = .venv-own-stack

$(OWN_STACK_VENV)/bin/uvicorn: examples/own-stack/requirements.txt
	python3 -m venv $(OWN_STACK_VENV)
	$(OWN_STACK_VENV)/bin/pip install -q -r examples/own-stack/requirements.txt

# kubernetes-validate (PyPI) checks the Kubernetes manifests against the API's schemas, offline.
KUBERNETES_VALIDATE = .venv-kubernetes/bin/kubernetes-validate

$(KUBERNETES_VALIDATE):
	python3 -m venv .venv-kubernetes
	.venv-kubernetes/bin/pip install -q 'kubernetes-validate>=1.32,<2'

# The official Pact CLI (pact-python-cli, PyPI): the broker fixture is held to it, and it to Tollgate's broker commands.
PACT_CLI = .venv-pact/bin/pact

$(PACT_CLI):
	python3 -m venv .venv-pact
	.venv-pact/bin/pip install -q 'pact-python-cli>=1!0.10,<1!1'

# The PyPI tools the first run of the suite uses; schemathesis and the foreign stack's
# packages are used only after it, and install then (see test).
FIRST_RUN_TOOLS = $(HDR_PYTHON) $(KUBERNETES_VALIDATE) $(SCIPY_PYTHON) $(PACT_CLI)

# The PyPI tools install side by side (each mostly unpacks and compiles Python).
python-tools:
	@$(MAKE) --no-print-directory -j6 $(FIRST_RUN_TOOLS) $(SCHEMATHESIS) $(OWN_STACK_VENV)/bin/uvicorn

# The PyPI tools of the first run install while the tests build (both take minutes on a fresh
# machine; the build needs none of them), at the lowest priority; the other two install at the
# lowest priority while the timing tests run, before the suites that use them.
test: setup
	@nice -n 19 $(MAKE) --no-print-directory -j4 $(FIRST_RUN_TOOLS) > .python-tools.log 2>&1 & tools=$$!; \
	url=$$(scripts/test-postgres start) || exit 1; \
	port=$${url##*:}; port=$${port%%/*}; \
	trap "TOLLGATE_TEST_PG_PORT=$$port scripts/test-postgres stop" EXIT; \
	echo "PostgreSQL for tests: $$url"; \
	export TOLLGATE_TEST_DATABASE_URL="$$url" TOLLGATE_SCHEMATHESIS="$(CURDIR)/$(SCHEMATHESIS)" \
	  TOLLGATE_HDR_PYTHON="$(CURDIR)/$(HDR_PYTHON)" TOLLGATE_PROMETHEUS=/usr/bin/prometheus \
	  TOLLGATE_KUBERNETES_VALIDATE="$(CURDIR)/$(KUBERNETES_VALIDATE)" TOLLGATE_SCIPY_PYTHON="$(CURDIR)/$(SCIPY_PYTHON)" \
	  TOLLGATE_OWN_STACK_VENV="$(CURDIR)/$(OWN_STACK_VENV)" TOLLGATE_PACT_CLI="$(CURDIR)/$(PACT_CLI)" PACT_DO_NOT_TRACK=true; \
	$(SWIFT) build --build-tests || { kill $$tools 2>/dev/null; exit 1; }; \
	wait $$tools || { cat .python-tools.log; echo "installing the PyPI tools the tests use failed"; exit 1; }; \
	status=0; bin=$$($(SWIFT) build --show-bin-path); \
	$(SWIFT) test --skip-build --parallel --skip '$(subst $(space),|,$(TIMED_SUITES) $(DEMO_SUITE) $(BESIDE_DEMO_SUITES) $(BACKGROUND_SUITES))' || status=1; \
	echo "The fuzzing suite, at the lowest priority beside the timing tests and the demo (its output follows theirs):"; \
	nice -n 19 $(MAKE) --no-print-directory $(OWN_STACK_VENV)/bin/uvicorn > .own-stack-venv.log 2>&1 & ownstack=$$!; \
	{ nice -n 19 $(MAKE) --no-print-directory $(SCHEMATHESIS) || { echo "installing schemathesis failed"; exit 1; }; \
	  NO_COLOR=1 nice -n 19 "$$bin/TollgatePackageTests.xctest" --testing-library swift-testing \
	  --filter '$(subst $(space),|,$(BACKGROUND_SUITES))'; } > .background-tests.log 2>&1 & background=$$!; \
	echo "The timing tests, once the rest is done (their figures must measure the engine and the services, not the suite's load):"; \
	$(SWIFT) test --skip-build --filter '$(subst $(space),|,$(TIMED_SUITES))' || status=1; \
	wait $$ownstack || { cat .own-stack-venv.log; echo "installing the foreign stack's PyPI packages failed"; status=1; }; \
	echo "The demo, and beside it the canary judge and a whole rollout on a foreign stack (their output follows the demo's):"; \
	{ failed=0; for suite in $(BESIDE_DEMO_SUITES); do NO_COLOR=1 "$$bin/TollgatePackageTests.xctest" --testing-library swift-testing \
	    --filter "$$suite" --skip '$(STARVING_TEST)' || failed=1; done; exit $$failed; } > .beside-demo-tests.log 2>&1 & beside=$$!; \
	$(SWIFT) test --skip-build --filter '$(DEMO_SUITE)' || status=1; \
	wait $$background || status=1; cat .background-tests.log; \
	wait $$beside || status=1; cat .beside-demo-tests.log; \
	echo "The test that starves both cores on purpose, alone:"; \
	$(SWIFT) test --skip-build --filter '$(STARVING_TEST)' || status=1; \
	exit $$status
