#!/usr/bin/env bash
# Installs everything gitfleet's tests need and runs all of them:
#   Python packages (gitfleet itself, editable, with its test extras),
#   etcd + a kube-apiserver built from Debian's source package (cached),
#   then every test tier: pure core, Git, real clusters, plus lint and layer checks.
# Usage: scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# A virtual environment (.venv, or the one already active): Debian's and Ubuntu's own
# Python refuses pip installs outside one (PEP 668, "externally managed").
if [ -z "${VIRTUAL_ENV:-}" ]; then
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else
      echo "scripts/test.sh: python3 cannot make a virtual environment: install python3-venv" >&2
      exit 1
    fi
  fi
  [ -x .venv/bin/python3 ] || python3 -m venv .venv
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
export GITFLEET_KUBE_APISERVER="${GITFLEET_KUBE_APISERVER:-$(bash scripts/install-test-clusters.sh | tail -n1)}"

echo "== lint and layers"
python3 -m ruff check gitfleet tests bench
python3 -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())' --config .importlinter
python3 -m mypy gitfleet

echo "== tests"
# loadgroup: the cluster tier (xdist_group "cluster") runs on one worker, with one
# set of member clusters, while the other worker takes the rest.
python3 -m pytest -n 2 --dist loadgroup "$@"
