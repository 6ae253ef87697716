#!/usr/bin/env bash
# Runs on the lent NVIDIA machine, from the repository root, with .gpu/ (scripts/gpu-pack.sh) and
# .gl/ (Debian's libvulkan1, in case the machine has no Vulkan loader) carried. Stages, each with
# its own time limit so that one stuck stage leaves the others' results: detect, the resident-fleet
# benchmark, the comparator benchmark with the CPU baselines, the WebGPU/gpu.js/hardware tests,
# calibrate. Everything lands in $OUT (log.txt holds the whole output). See docs/GPU.md.
set -u
OUT=${OUT:-/tmp/gpu-out}
TAG=${GPU_TAG:-nvidia-h100}
# Which stages run (GPU_STAGES, default all): detect resident compare tests calibrate; resident4m
# (the resident benchmark on 4,000,000 rows) and stream (the stream duplication benchmark, with the
# redis-server packed into .gpu/redis.tar.xz) only when named.
STAGES=" ${GPU_STAGES:-detect resident compare tests calibrate} "
want() { [[ "$STAGES" == *" $1 "* ]]; }
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
start=$(date +%s)
stage() { echo "=== [$(($(date +%s) - start)) s] $*"; }
unxz_to() { xz -dc "$1" > "$2" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }

stage "setup"
mkdir -p /tmp/gpunode node_modules/webgpu/dist/linux-x64
unxz_to .gpu/node.xz /tmp/gpunode/node && chmod +x /tmp/gpunode/node
export PATH=/tmp/gpunode:$PATH
unxz_to .gpu/tree.tar.xz /tmp/tree.tar && tar -xf /tmp/tree.tar && rm /tmp/tree.tar
unxz_to .gpu/dawn.node.xz node_modules/webgpu/dist/linux-x64/dawn.node
# Built files newer than the copied sources, so the tests' global setup does not rebuild.
find dist build -type f -exec touch {} +
if ! ldconfig -p | grep -q 'libvulkan.so.1' || ! ldconfig -p | grep -q 'libGLdispatch.so.0'; then
  echo "no Vulkan loader or no libglvnd: unpacking .gl/"
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
glx=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
[ -n "$glx" ] && ldd "$glx" | grep -i "not found"
node --version; nvidia-smi -L; nproc; free -g | head -2
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"

stage "detect"
timeout 60 node dist/ts/cli/main.js detect --json > "$OUT/detect.json"; echo "detect rc=$?"
timeout 30 node dist/ts/cli/main.js detect
# Without an NVIDIA adapter the rest would only repeat the CPU runs: stop and keep the time.
grep -q '"vendor": "nvidia"' "$OUT/detect.json" || { stage "no NVIDIA adapter: stopping"; exit 3; }

if want resident; then
  stage "resident-fleet benchmark, 1M x 32"
  BENCH_TAG=$TAG timeout 120 node --expose-gc --max-old-space-size=16384 dist/bench/gpu-resident.bench.js; echo "rc=$?"
  cp bench/results/gpu-resident-"$TAG".* "$OUT"/ 2>/dev/null
fi

if want compare; then
  stage "comparator benchmark, 1M x 32, CPU baselines in the same run"
  BENCH_TAG=$TAG timeout 330 node --expose-gc --max-old-space-size=16384 dist/bench/compare.bench.js; echo "rc=$?"
  cp bench/results/compare-"$TAG".* "$OUT"/ 2>/dev/null
fi

if want tests; then
  stage "WebGPU, gpu.js and hardware tests (WebGPU required)"
  WFMIRROR_REQUIRE_WEBGPU=1 timeout 150 node node_modules/vitest/vitest.mjs run \
    test/compare/webgpu-conformance.test.ts test/compare/webgpu-resident.test.ts \
    test/compare/gpujs-conformance.test.ts test/hardware; echo "tests rc=$?"
fi

if want calibrate; then
  stage "calibrate"
  timeout 90 node dist/ts/cli/main.js calibrate --out "$OUT/$TAG-calibrated.json"; echo "calibrate rc=$?"
fi

if want resident4m; then
  stage "resident-fleet benchmark, 4M x 32"
  BENCH_ROWS=4000000 BENCH_TAG=$TAG-4m timeout 200 node --expose-gc --max-old-space-size=32768 dist/bench/gpu-resident.bench.js; echo "rc=$?"
  cp bench/results/gpu-resident-"$TAG"-4m.* "$OUT"/ 2>/dev/null
fi
if want stream; then
  stage "stream duplication benchmark (worker-thread mirror, Redis Streams)"
  if [ -f .gpu/redis.tar.xz ]; then
    unxz_to .gpu/redis.tar.xz /tmp/redis.tar && tar -C /tmp -xf /tmp/redis.tar && rm /tmp/redis.tar
    # A wrapper, so that only redis-server sees the packed libraries.
    printf '#!/bin/sh\nLD_LIBRARY_PATH=/tmp/wfm-redis/lib exec /tmp/wfm-redis/redis-server.bin "$@"\n' > /tmp/wfm-redis/redis-server
    chmod +x /tmp/wfm-redis/redis-server
    if /tmp/wfm-redis/redis-server --version; then export PATH=/tmp/wfm-redis:$PATH; else echo "redis-server does not run here"; fi
  fi
  cases=memory,sqlite
  command -v redis-server > /dev/null && cases=memory,sqlite,transport,redis
  cases=${GPU_STREAM_CASES:-$cases}
  BENCH_STREAM_CASES=$cases BENCH_TAG=$TAG timeout 300 node --expose-gc dist/bench/stream.bench.js; echo "rc=$?"
  cp bench/results/stream-"$TAG".* "$OUT"/ 2>/dev/null
fi
stage "done"
