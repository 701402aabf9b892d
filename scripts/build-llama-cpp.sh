#!/usr/bin/env bash
# Build the llama.cpp reference tools (llama-perplexity, llama-bench, llama-tokenize, llama-quantize,
# llama-batched-bench, llama-simple, llama-cli, llama-server, llama-lookup, llama-speculative) from the llama-cpp-python 0.3.36 sdist's vendor/llama.cpp
# (llama.cpp commit 0c1e57098), outside the repo. Idempotent: skips when the binaries exist.
#
#   REF=/root/.cache/llmrun-ref   (override with LLMRUN_REF)
#   -> $REF/llama.cpp/build/bin/llama-{perplexity,bench,batched-bench,tokenize,simple,cli,server,quantize,lookup,speculative}
set -euo pipefail

REF="${LLMRUN_REF:-/root/.cache/llmrun-ref}"
VENV="$REF/venv"
VERSION=0.3.36
SDIST_DIR="$REF/sdist"
SRC="$REF/llama.cpp"
BUILD="$SRC/build"
TARGETS=(llama-perplexity llama-bench llama-batched-bench llama-tokenize llama-simple llama-cli llama-server llama-quantize
         llama-lookup llama-speculative)

all_built=1
for t in "${TARGETS[@]}"; do
  [ -x "$BUILD/bin/$t" ] || all_built=0
done
if [ "$all_built" = 1 ]; then
  echo "llama.cpp tools already built in $BUILD/bin"
  exit 0
fi

# CMake and Ninja from PyPI, in the cached virtual environment the fixture scripts also use.
if [ ! -x "$VENV/bin/cmake" ] || [ ! -x "$VENV/bin/ninja" ]; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q cmake ninja
fi
export PATH="$VENV/bin:$PATH"

if [ ! -f "$SRC/CMakeLists.txt" ]; then
  mkdir -p "$SDIST_DIR"
  tarball="$(ls "$SDIST_DIR"/llama_cpp_python-"$VERSION".tar.gz 2>/dev/null | head -1 || true)"
  if [ -z "$tarball" ]; then
    # --no-binary :all: also applies to the isolated metadata build's own requirements; without
    # --only-binary cmake,ninja pip would compile CMake from source just to read metadata.
    "$VENV/bin/pip" download --no-deps --no-binary :all: --only-binary cmake,ninja \
      "llama-cpp-python==$VERSION" -d "$SDIST_DIR"
    tarball="$(ls "$SDIST_DIR"/llama_cpp_python-"$VERSION".tar.gz | head -1)"
  fi
  tmp="$(mktemp -d)"
  tar -xzf "$tarball" -C "$tmp"
  rm -rf "$SRC"
  mv "$tmp"/*/vendor/llama.cpp "$SRC"
  rm -rf "$tmp"
fi

cd "$SRC"
# LLAMA_USE_PREBUILT_UI=OFF: llama-server without its web UI (only its HTTP API is used), so the build
# never downloads the UI's assets.
cmake -B build -G Ninja -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DCMAKE_BUILD_TYPE=Release
cmake --build build --target "${TARGETS[@]}" -j2
echo "built: $(ls "$BUILD/bin")"
