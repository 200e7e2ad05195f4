#!/usr/bin/env bash
# Builds the benchmark, makes its libtorch copy loadable on Debian 12 (benchmark-only, see setup/), and runs it.
# Usage: tools/ProRL.Benchmarks/run-train-bench.sh [--preset small] [--batch 4] [--seq 256] [--repeats 7]
#        tools/ProRL.Benchmarks/run-train-bench.sh --mode verify-math
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/bin/bench"
dotnet build "$here/ProRL.Benchmarks.csproj" -c Release -o "$out" -nologo -v quiet
source "$here/setup/torchsharp-env.sh" "$out"
dotnet "$out/ProRL.Benchmarks.dll" "$@"
