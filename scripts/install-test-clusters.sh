#!/usr/bin/env bash
# Installs what gitfleet's test tiers need beyond Python: etcd, openssl, kubectl and a
# kube-apiserver built once from Debian's `kubernetes` source package (no registry ships a
# prebuilt one) for the cluster tier, and an OpenSSH server for the Git tier's SSH remote.
# The binary is cached outside the repository and reused on later runs; running the
# script again is cheap and changes nothing.
#
#   GITFLEET_CACHE   cache root (default: ~/.cache/gitfleet)
#
# Prints the path of the kube-apiserver binary on its last line.
set -euo pipefail

cache="${GITFLEET_CACHE:-$HOME/.cache/gitfleet}"
bin="$cache/bin/kube-apiserver"
stamp="$bin.recipe"
# Bump when the build below changes, so cached binaries of an older recipe are rebuilt.
# r2: vendored reflect2 replaced by Debian's 1.0.2 (1.0.1 crashes under Go >= 1.18 as
# soon as the server encodes a map, e.g. any custom resource).
recipe="r2"
mkdir -p "$cache/bin"

have_bin() { [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$recipe" ]; }

need_apt=()
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# bench/apply.py compares with kubectl; Debian's kubernetes-client provides one.
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubernetes-client)
# The Git tier's SSH remote (tests/git/test_ssh_remote.py): an OpenSSH server on loopback.
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
if ! have_bin; then
  need_apt+=(golang-go rsync jq dpkg-dev golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

if [ "${#need_apt[@]}" -gt 0 ]; then
  if ! have_bin && ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/; then
    # Source packages need a deb-src entry; derive it from the existing Debian entry.
    src=$(grep -ls 'deb.debian.org/debian$' /etc/apt/sources.list.d/*.sources | head -n1 || true)
    [ -n "$src" ] || src=/etc/apt/sources.list.d/debian.sources
    sed 's/^Types: deb$/Types: deb-src/' "$src" | $sudo tee /etc/apt/sources.list.d/gitfleet-deb-src.sources >/dev/null
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! have_bin; then
  work="$cache/src"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && apt-get source -qq kubernetes >/dev/null 2>&1 || (cd "$work" && apt-get source kubernetes))
  tree=$(find "$work" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -n1)
  [ -n "$tree" ] || { echo "install-test-clusters: could not unpack the kubernetes source package" >&2; exit 1; }
  # The vendored reflect2 1.0.1 reads Go's map iterator with the pre-1.18 layout and
  # crashes the server; Debian's fixed 1.0.2 (with the json-iterator that goes with
  # it) replaces it.
  gocode=/usr/share/gocode/src/github.com
  for dep in modern-go/reflect2 json-iterator/go; do
    [ -d "$gocode/$dep" ] || { echo "install-test-clusters: $gocode/$dep missing" >&2; exit 1; }
    rm -rf "$tree/vendor/github.com/$dep"
    mkdir -p "$tree/vendor/github.com/$dep"
    cp -r "$gocode/$dep/." "$tree/vendor/github.com/$dep/"
    find "$tree/vendor/github.com/$dep" -name '*_test.go' -delete
  done
  # Build the way the package's debian/rules does: a GOPATH with k8s.io/kubernetes
  # linked to the tree (a plain `go build` fails on the vendored go.mod).
  mkdir -p "$tree/.go/src/k8s.io"
  ln -sfn "$tree" "$tree/.go/src/k8s.io/kubernetes"
  (
    cd "$tree/.go/src/k8s.io/kubernetes"
    export GOPATH="$tree/.go" GO111MODULE=off CGO_ENABLED=0 GOFLAGS=-mod=vendor GOCACHE="$cache/go-build"
    make WHAT=cmd/kube-apiserver >"$cache/build.log" 2>&1 || {
      # Older trees build in GOPATH mode; newer ones want modules from vendor/.
      export GO111MODULE=auto
      make WHAT=cmd/kube-apiserver >>"$cache/build.log" 2>&1
    }
  ) || { echo "install-test-clusters: build failed, see $cache/build.log" >&2; tail -n 30 "$cache/build.log" >&2; exit 1; }
  built=$(find "$tree/_output" -type f -name kube-apiserver -perm -u+x | head -n1)
  [ -n "$built" ] || { echo "install-test-clusters: no kube-apiserver produced, see $cache/build.log" >&2; exit 1; }
  install -m 0755 "$built" "$bin"
  echo "$recipe" >"$stamp"
  rm -rf "$work" "$cache/go-build"
fi
echo "$bin"
