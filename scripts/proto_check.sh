#!/usr/bin/env bash
# Fails when the protobuf contract does not lint or when the committed generated code is stale.
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
echo "proto-check: OK (lint clean, generated code up to date)"
