#!/usr/bin/env bash
# Usage: source tools/ProRL.Benchmarks/setup/torchsharp-env.sh BIN_DIR
# Patches the copy of libLibTorchSharp.so in a benchmark build's output folder so that it loads on Debian 12, and
# exports LD_PRELOAD with the ios_base shim. Benchmark-only: the product never loads libtorch.
set -e
bin_dir="${1:?usage: source torchsharp-env.sh BIN_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shim="$bin_dir/libios_base_shim.so"
g++ -shared -fPIC -O2 -o "$shim" "$here/ios_base_shim.cpp"
for lib in $(find "$bin_dir" -name libLibTorchSharp.so); do
  python3 "$here/weaken_version_need.py" "$lib" GLIBCXX_3.4.32 || true
done
export LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}"
set +e
