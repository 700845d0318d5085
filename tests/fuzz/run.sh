#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (cmake -DMOELAB_FUZZ=ON, clang) for SECONDS each, starting from its
# seed corpus and the crash reproducers, two at a time. New inputs go to a scratch folder, never into the repository.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS=60] [TARGET...]
# Longer local runs: tests/fuzz/run.sh build-fuzz 3600 fuzz_checkpoint
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in "$here"/corpus/*/; do targets+=("$(basename "$dir")"); done
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run_one() {
  local t=$1 bin="$build/tests/fuzz/$1"
  if [ ! -x "$bin" ]; then echo "$t: not built in $build" >&2; return 1; fi
  mkdir -p "$scratch/$t/new" "$scratch/$t/artifacts"
  local dirs=("$scratch/$t/new" "$here/corpus/$t")
  [ -d "$here/crashes/$t" ] && dirs+=("$here/crashes/$t")
  # rss_limit: a reader that allocates what a hostile header claims fails here; timeout: one input may take 10 s.
  if TMPDIR="$scratch/$t" "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$scratch/$t/artifacts/" "${dirs[@]}" > "$scratch/$t/log" 2>&1; then
    echo "$t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t/log" | grep -o '[0-9]*$') inputs in ${seconds} s)"
  else
    echo "$t: FAILED" >&2
    tail -60 "$scratch/$t/log" >&2
    for a in "$scratch/$t/artifacts/"*; do [ -e "$a" ] && { echo "reproducer (base64) $a:" >&2; base64 -w0 "$a" | head -c 4000 >&2; echo >&2; }; done
    return 1
  fi
}
export -f run_one
export build seconds here scratch
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one {}'
