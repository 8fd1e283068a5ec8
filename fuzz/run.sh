#!/usr/bin/env bash
# Run the fuzz targets over their corpora (fuzz/README.md), two at a time.
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 20 s each, every target
# PROFILE=dev (default, quick to build) or PROFILE=release (for long runs).
# Exits non-zero when a target crashes, hangs or answers 5xx; the input is kept in
# fuzz/artifacts/<target>/ and the log's tail is printed.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(route_matcher query_urlencoded cookies_headers multipart json_body pipeline)
PROFILE=${PROFILE:-dev}
FLAG=$([ "$PROFILE" = dev ] && echo --dev || echo --release)
# The stable toolchain takes cargo-fuzz's -Z flags with RUSTC_BOOTSTRAP; no nightly needed.
# The core has no unsafe code, so no sanitizer (ASan would only slow the runs).
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none "$FLAG"
python3 seed.py
BIN="${CARGO_TARGET_DIR:-$PWD/target}/x86_64-unknown-linux-gnu/$([ "$PROFILE" = dev ] && echo debug || echo release)"
mkdir -p logs
run() {
  local t=$1
  mkdir -p "artifacts/$t"
  if "$BIN/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECS" -timeout=25 -print_final_stats=1 \
      "corpus/$t" >"logs/$t.log" 2>&1; then
    echo "$t: $(grep -E '^#[0-9]+.*DONE' "logs/$t.log" | tail -1 | sed 's/ *$//') (0 crashes)"
  else
    echo "$t: FAILED (fuzz/logs/$t.log, input in fuzz/artifacts/$t/)"
    tail -40 "logs/$t.log"
    return 1
  fi
}
status=0
for ((i = 0; i < ${#TARGETS[@]}; i += 2)); do
  pids=()
  for t in "${TARGETS[@]:i:2}"; do
    run "$t" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
exit $status
