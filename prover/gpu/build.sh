#!/usr/bin/env bash
# Builds the GPU zkinfer binary: ICICLE's native libraries (bn254 only) from
# the sources shipped in the icicle-gnark Go module, then `go build -tags
# icicle` linked against them. Needs the CUDA toolkit (nvcc), cmake >= 3.18,
# a C++17 compiler (clang preferred by ICICLE) and an NVIDIA GPU at run time.
#
#   prover/gpu/build.sh                # -> bin/zkinfer-gpu, libraries in .icicle/
#   ICICLE_PREFIX=/opt/icicle prover/gpu/build.sh
#   CUDA_HOME=/usr/local/cuda-12.6 prover/gpu/build.sh
#
# The binary finds the libraries by rpath and the CUDA backend by a path
# baked in with -X, so it runs without LD_LIBRARY_PATH or
# ICICLE_BACKEND_INSTALL_DIR (both still override).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
prefix=${ICICLE_PREFIX:-$root/.icicle}
out=${OUT:-$root/bin/zkinfer-gpu}
cuda=${CUDA_HOME:-/usr/local/cuda}
nvcc=${NVCC:-$cuda/bin/nvcc}
jobs=${JOBS:-$(nproc)}

for tool in cmake go "$nvcc"; do
	command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (CUDA toolkit at \$CUDA_HOME=$cuda? cmake?)" >&2; exit 1; }
done

# The module cache is read-only; ICICLE's cmake writes into its source tree.
mod=$(go list -m -f '{{.Dir}}' github.com/ingonyama-zk/icicle-gnark/v3)
if [ -z "$mod" ] || [ ! -d "$mod/icicle" ]; then
	go mod download github.com/ingonyama-zk/icicle-gnark/v3
	mod=$(go list -m -f '{{.Dir}}' github.com/ingonyama-zk/icicle-gnark/v3)
fi
src=$prefix/src
rm -rf "$src" && mkdir -p "$src" && cp -r "$mod/icicle/." "$src" && chmod -R u+w "$src"

# What icicle-gnark's wrappers/golang/build.sh -curve=bn254 does, installed
# under $prefix instead of /usr/local: libicicle_device, libicicle_field_bn254,
# libicicle_curve_bn254 in lib/, the CUDA backend in lib/backend/.
cmake -S "$src" -B "$src/build" \
	-DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$prefix" \
	-DCMAKE_CUDA_COMPILER="$nvcc" \
	-DCURVE=bn254 -DMSM=ON -DNTT=ON -DG2=ON \
	-DCUDA_BACKEND=ON -DCPU_BACKEND=ON
cmake --build "$src/build" --target install -j "$jobs"

export CGO_ENABLED=1
export CGO_LDFLAGS="-L$prefix/lib -licicle_device -licicle_field_bn254 -licicle_curve_bn254 -lstdc++ -lm -Wl,-rpath,$prefix/lib"
mkdir -p "$(dirname "$out")"
go build -tags icicle \
	-ldflags "-X github.com/zkinfer/zkinfer/prover.ICICLEBackendDir=$prefix/lib/backend" \
	-o "$out" ./cmd/zkinfer

cat <<MSG
built $out
libraries: $prefix/lib (rpath), CUDA backend: $prefix/lib/backend
to run the GPU tests and benchmark with the same libraries:
  export CGO_LDFLAGS="$CGO_LDFLAGS" ICICLE_BACKEND_INSTALL_DIR=$prefix/lib/backend
  go test -tags icicle ./prover -run GPU
  go test -tags icicle ./benchmarks -run '^\$' -bench GPU -benchtime 1x -timeout 0
MSG
