#!/usr/bin/env bash
# Installs everything gitfleet's tests need and runs all of them:
#   Python packages (gitfleet itself, editable, with its test extras),
#   etcd + a kube-apiserver built from Debian's source package (cached),
#   then every test tier: pure core, Git, real clusters, plus lint and layer checks.
# Usage: scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
# Under pyenv, console scripts of newly installed packages need their shims.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
export GITFLEET_KUBE_APISERVER="${GITFLEET_KUBE_APISERVER:-$(bash scripts/install-test-clusters.sh | tail -n1)}"

echo "== lint and layers"
python3 -m ruff check gitfleet tests bench
python3 -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())' --config .importlinter
python3 -m mypy gitfleet

echo "== tests"
# loadgroup: the cluster tier (xdist_group "cluster") runs on one worker, with one
# set of member clusters, while the other worker takes the rest.
python3 -m pytest -n 2 --dist loadgroup "$@"
