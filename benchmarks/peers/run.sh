#!/usr/bin/env bash
# The peer benchmark in one command, from a clean clone (needs Go and Node.js ≥ 18):
#   bash benchmarks/peers/run.sh [zkpeers flags]   (--quick for a smoke run; --help for all)
# Installs the npm packages pinned in benchmarks/peers/package-lock.json
# (snarkjs, circom2, circomlib, @ezkljs/engine) and runs the Go driver, which
# writes benchmarks/results/peers.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm ci --prefix benchmarks/peers --no-audit --no-fund >&2
exec go run ./benchmarks/peers/cmd/zkpeers "$@"
