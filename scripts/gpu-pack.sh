#!/usr/bin/env bash
# Packs what the NVIDIA machine lent by the `device` tool needs into .gpu/ (ignored by git, carried
# by the run): that machine has Vulkan drivers but no Node.js and no network, and at most 64 MiB
# travel with the tree. Node itself (xz: ~24 MB), Dawn's dawn.node alone of the webgpu package
# (xz: ~5 MB), and node_modules without the build-only tools, with dist/ and build/ (xz: ~13 MB).
# Run after `npm run build`; then scripts/gpu-device-run.sh runs there. See docs/GPU.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu
# Node and Dawn change rarely and take most of the packing time: packed again only when newer.
[ .gpu/node.xz -nt "$(command -v node)" ] || xz -9 -T0 -c "$(command -v node)" > .gpu/node.xz
[ .gpu/dawn.node.xz -nt node_modules/webgpu/dist/linux-x64/dawn.node ] ||
  xz -9 -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gpu/dawn.node.xz
tar -cf - \
  --exclude=node_modules/webgpu/dist --exclude=node_modules/webgpu/build \
  --exclude=node_modules/typescript --exclude=node_modules/binaryen --exclude=node_modules/assemblyscript \
  --exclude=node_modules/@biomejs --exclude=node_modules/@types \
  --exclude=node_modules/better-sqlite3/deps --exclude=node_modules/better-sqlite3/src \
  --exclude='node_modules/better-sqlite3/build/Release/obj*' \
  node_modules dist build | xz -6 -T0 > .gpu/tree.tar.xz
# redis-server and the libraries it links beyond glibc (the stream benchmark's Redis cases), when
# this machine has one: the lent machine has none and cannot install packages.
if command -v redis-server > /dev/null && [ ! -f .gpu/redis.tar.xz ]; then
  rm -rf /tmp/wfm-redis && mkdir -p /tmp/wfm-redis/lib
  cp -L "$(command -v redis-server)" /tmp/wfm-redis/redis-server.bin
  for lib in $(ldd "$(command -v redis-server)" /lib/x86_64-linux-gnu/libsystemd.so.0 | awk '/=>/ {print $3}' | sort -u); do
    case "$(basename "$lib")" in libc.so.*|libm.so.*|libstdc++.so.*|libgcc_s.so.*) ;; *) cp -L "$lib" /tmp/wfm-redis/lib/ ;; esac
  done
  tar -C /tmp -cf - wfm-redis | xz -6 -T0 > .gpu/redis.tar.xz
fi
du -ch .gpu/* | tail -1
