#!/usr/bin/env bash
# Fails when the protobuf contract does not lint or format, when the committed generated code (Python,
# Go, TypeScript) is stale, when the Go module or the Go example does not build and vet, when the
# TypeScript does not type-check, or when the contract breaks the last landed one (buf breaking).
#   scripts/proto_check.sh        (from anywhere; uses the repository's .venv unless PYTHON/BUF are set)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
BUF="${BUF:-$ROOT/.venv/bin/buf}"
[[ -x "$BUF" ]] || BUF="$(command -v buf || true)"
if [[ -z "$BUF" ]]; then
  echo "proto-check: buf not found (pip install buf-bin, or set BUF=/path/to/buf)" >&2
  exit 2
fi

cd "$ROOT"

echo "proto-check: buf lint"
if ! "$BUF" lint; then
  echo "proto-check: FAILED - buf lint reported the findings above" >&2
  exit 1
fi

echo "proto-check: buf format"
if ! "$BUF" format --diff --exit-code >/dev/null; then
  "$BUF" format --diff >&2 || true
  echo "proto-check: FAILED - proto files are not buf-formatted; run '$BUF format -w'" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "proto-check: regenerating into a temporary directory"
"$PYTHON" scripts/gen_proto.py --out "$tmp/_proto" >/dev/null

if ! diff -r -q -x __pycache__ "$tmp/_proto" stack_cfo/_proto >"$tmp/diff.txt"; then
  echo "proto-check: FAILED - stack_cfo/_proto is stale (does not match proto/). Differences:" >&2
  sed "s|$tmp/_proto|<regenerated>|g" "$tmp/diff.txt" >&2
  echo "proto-check: run '.venv/bin/python scripts/gen_proto.py' (make proto) and commit stack_cfo/_proto" >&2
  exit 1
fi
echo "proto-check: regenerating the Go and TypeScript clients into a temporary directory"
bash scripts/gen_clients.sh "$tmp/clients" >/dev/null
for dir in gen/go/stack gen/ts/src; do
  if ! diff -r -q "$tmp/clients/$dir" "$dir" >"$tmp/diff.txt"; then
    echo "proto-check: FAILED - $dir is stale (does not match proto/). Differences:" >&2
    sed "s|$tmp/clients/||g" "$tmp/diff.txt" >&2
    echo "proto-check: run 'make proto' and commit gen/" >&2
    exit 1
  fi
done

echo "proto-check: go build and go vet (gen/go, examples/go; Debian's Go toolchain and gRPC, GOPATH mode, offline)"
gopath="$tmp/gopath"
mkdir -p "$gopath/src/github.com/stack-cfo"
ln -s "$ROOT" "$gopath/src/github.com/stack-cfo/stack-cfo"
mod="$(sed -n 's/^module //p' gen/go/go.mod)"
for f in proto/stack/cfo/v1/*.proto; do
  pkg="$(sed -n 's/^option go_package = "\([^";]*\).*/\1/p' "$f")"
  if [[ "$pkg" != "$mod/stack/cfo/v1" ]]; then
    echo "proto-check: FAILED - $f: go_package $pkg is not inside the module $mod (gen/go/go.mod)" >&2
    exit 1
  fi
done
gocmd() {
  (cd "$gopath/src/github.com/stack-cfo/stack-cfo" \
    && GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-$ROOT/.cache/go-build}" \
       GOPROXY=off GOFLAGS= go "$@")
}
gocmd build ./gen/go/...
gocmd build -o "$tmp/example" ./examples/go
gocmd vet ./gen/go/... ./examples/go/...
if [[ -n "$(gofmt -l examples/go)" ]]; then
  echo "proto-check: FAILED - examples/go is not gofmt-formatted: gofmt -w examples/go" >&2
  exit 1
fi

# gen/ts/tsconfig.json is NodeNext (what plain Node.js ESM loads) and covers the generated code and
# gen/ts/examples (the Node smoke client); the second run checks that bundler resolution accepts it too.
echo "proto-check: tsc --noEmit (gen/ts: src and examples, NodeNext, then bundler resolution)"
gen/ts/node_modules/.bin/tsc --noEmit -p gen/ts
gen/ts/node_modules/.bin/tsc --noEmit -p gen/ts --module ESNext --moduleResolution bundler

# Breaking changes against the last landed contract: the merge base with main on a branch, the
# previous commit of main on main itself (a fresh clone has origin/main, a work tree main).
base_branch="$(git rev-parse --verify -q main >/dev/null && echo main || echo origin/main)"
if git rev-parse --verify -q "$base_branch" >/dev/null; then
  base="$(git merge-base HEAD "$base_branch")"
  if [[ "$base" == "$(git rev-parse HEAD)" ]]; then
    base="$(git rev-parse -q --verify HEAD^ || true)"
  fi
  if [[ -n "$base" ]]; then
    echo "proto-check: buf breaking against ${base:0:12} (last landed contract)"
    if ! "$BUF" breaking --against ".git#ref=$base"; then
      echo "proto-check: FAILED - breaking change against ${base:0:12} (rules: buf.yaml breaking)" >&2
      exit 1
    fi
  fi
else
  echo "proto-check: no main branch to compare with; buf breaking skipped" >&2
fi
echo "proto-check: OK (lint clean, generated code up to date, Go builds and vets, TS type-checks, no breaking change)"
