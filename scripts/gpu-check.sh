#!/usr/bin/env bash
# Real-GPU OpenCL check: every kernel against its Java reference, then the SGEMM auto-tuner and copy bandwidth, on
# every OpenCL device of this machine; prints a markdown report (the docs/benchmarks.md "Real GPUs" section records
# such reports with the device name).
#
#   scripts/gpu-check.sh                 # after ./mvnw -q -DskipTests package, with a JDK 17+ on the PATH
#   JAVA=/path/to/java CP=... scripts/gpu-check.sh   # any other java and class path (target/classes + JOCL + Jackson)
#
# Needs an OpenCL ICD loader (libOpenCL.so.1) and the GPU vendor's OpenCL driver. When the loader is missing but the
# vendor library is present (e.g. NVIDIA's libnvidia-opencl.so.1 in a container), put a copy of the loader in
# OCL_LIB_DIR; the script then writes an ICD file for the vendor library it finds and points the loader at it.
set -uo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
CP=${CP:-target/classes:target/lib/*}
SIZE=${SIZE:-0}

if [ -n "${OCL_LIB_DIR:-}" ]; then
    export LD_LIBRARY_PATH="$OCL_LIB_DIR:${LD_LIBRARY_PATH:-}"
fi
if [ -z "${OCL_ICD_VENDORS:-}" ] && [ ! -d /etc/OpenCL/vendors ] || [ -n "${FORCE_ICD_SEARCH:-}" ]; then
    vendors=$(mktemp -d)
    for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /opt/amdgpu-pro/lib64 /opt/rocm/lib; do
        for lib in libnvidia-opencl.so.1 libamdocl64.so libamdocl-orca64.so libpocl.so.2; do
            if [ -e "$dir/$lib" ]; then
                echo "$dir/$lib" > "$vendors/$(basename "$lib" | tr -c 'a-z0-9\n' '_').icd"
                echo "ICD: $dir/$lib" >&2
            fi
        done
    done
    export OCL_ICD_VENDORS="$vendors"
fi
"$JAVA" -cp "$CP" org.polaris.workbench.cli.GpuCheckMain "$SIZE"
