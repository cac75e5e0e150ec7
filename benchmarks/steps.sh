# Sourced by the benchmark scripts (accuracy.sh, more_faces.sh); needs OUT set.
# step NAME DONE_FILE CMD...: run CMD unless DONE_FILE exists (a finished step is skipped);
# its output goes to $OUT/NAME.log with /usr/bin/time -v, the command line to $OUT/commands.log.
step() {
  local name=$1 done_file=$2; shift 2
  [ -e "$done_file" ] && return 0
  echo "=== $name: $*" >> "$OUT/commands.log"
  /usr/bin/time -v "$@" > "$OUT/$name.log" 2>&1; echo "exit $?" >> "$OUT/$name.log"
}

# train_step NAME RUN_DIR CMD...: an `edge train ... --out RUN_DIR` step. Finished when RUN_DIR has
# metrics.json; an interrupted one (config.json written, no metrics) continues with --resume from
# its last completed epoch instead of failing on "already holds a training run". The earlier
# attempt's log is kept beside the new one.
train_step() {
  local name=$1 run=$2; shift 2
  [ -e "$run/metrics.json" ] && return 0
  if [ -f "$run/config.json" ]; then
    [ -f "$OUT/$name.log" ] && mv "$OUT/$name.log" "$OUT/$name.interrupted-$(date +%Y%m%d-%H%M%S).log"
    set -- "$@" --resume
  fi
  step "$name" "$run/metrics.json" "$@"
}
