#!/usr/bin/env bash
# GPU proof: on a machine with one NVIDIA GPU and the network, generate the PyTorch, TensorFlow and Keras (JAX
# backend) starters with --target auto, install their pins, require the framework to use the GPU
# (`check --require-gpu`), train, and print one line per framework: the target auto picked, the wall time, and for
# PyTorch the training-step time with AMP against fp32. It fails loudly (exit 1) instead of falling back to the CPU.
#
#   bash bench/gpu.sh [WORKDIR]        # about 5-8 minutes with warm pip caches; WORKDIR defaults to a temp folder
#
# Run from a scaffold-ml checkout (it uses `python -m scaffold` from here). Nothing is written outside WORKDIR.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/scaffold-gpu.XXXXXX")}"
python="${PYTHON:-python3}"
fail() { echo "gpu.sh: FAILED: $*" >&2; exit 1; }

command -v nvidia-smi >/dev/null 2>&1 || [ -x /usr/lib/wsl/lib/nvidia-smi ] \
  || fail "no nvidia-smi: this script proves the GPU path and needs an NVIDIA GPU (it never falls back to the CPU)"
gpu="$(nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader | head -n 1)" \
  || fail "nvidia-smi found no GPU"
echo "gpu.sh: $gpu; work folder $work"
mkdir -p "$work"
(cd "$here" && PYTHONPATH="$here" "$python" -m scaffold detect) | sed 's/^/  detect: /'

prove() {  # prove NAME FRAMEWORK [starter options...]
  local name="$1" framework="$2"; shift 2
  local started project venv target
  started=$(date +%s)
  (cd "$here" && PYTHONPATH="$here" "$python" -m scaffold new "$name" --framework "$framework" --target auto \
     --output-dir "$work" --no-input --force "$@" --json) > "$work/$name.json" || fail "$framework: scaffold new"
  project="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$work/$name.json")"
  target="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"])' "$work/$name.json")"
  case "$target" in cuda*) ;; *) fail "$framework: --target auto picked $target, not a CUDA build";; esac
  if [ "${GPU_SH_STOP_AFTER:-}" = generate ]; then  # the test suite's dry run: no GPU wheels downloaded
    echo "$framework: target $target (generated; stopped before install)" | tee -a "$work/summary.txt"
    return
  fi
  venv="$work/$name-venv"
  "$python" -m venv "$venv"
  (cd "$project" && "$venv/bin/python" -m pip install -q -r requirements.txt) || fail "$framework: pip install"
  local package; package="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' \
    "$project/.scaffold.json")"
  (cd "$project" && "$venv/bin/python" -m "$package" check --require-gpu) > "$work/$name-check.txt" 2>&1 \
    || { cat "$work/$name-check.txt" >&2; fail "$framework: check --require-gpu"; }
  (cd "$project" && "$venv/bin/python" -m "$package" train) > "$work/$name-train.txt" 2>&1 \
    || { tail -n 30 "$work/$name-train.txt" >&2; fail "$framework: train"; }
  local line="$framework: target $target, wall $(( $(date +%s) - started )) s"
  if [ "$framework" = pytorch ]; then
    line="$line, $("$venv/bin/python" "$here/bench/gpu_step.py")" || fail "pytorch: step timing"
  fi
  echo "$line" | tee -a "$work/summary.txt"
}

: > "$work/summary.txt"
prove gpu-pytorch pytorch
prove gpu-tensorflow tensorflow
prove gpu-keras-jax keras --backend jax
echo "gpu.sh: all three frameworks trained on the GPU"
