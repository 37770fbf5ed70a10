#!/usr/bin/env bash
# Stress loop: run each matching test many times, each iteration in its own pytest process
# (with --sim, up to --batch seeds of a test share a process, each still counted on its own).
#   ./run_tests.sh [-n ITERATIONS] [-p PARALLEL] [-t TIMEOUT_S] [-v] [--sim] [PATTERN ...] [-- PYTEST_ARGS]
# e.g. ./run_tests.sh -n 50 -p 2 2A        ./run_tests.sh -n 5 labrpc -- -s     ./run_tests.sh --sim -n 200 2C
# Failing iterations' logs are kept under stress-logs/<timestamp>/. See tools/stress.py.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# exec: Ctrl-C and SIGTERM reach the Python runner directly, which kills its children.
exec "${PYTHON:-python3}" -m tools.stress "$@"
