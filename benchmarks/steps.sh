# Sourced by the benchmark scripts (accuracy.sh, more_faces.sh); needs OUT set.
# step NAME DONE_FILE CMD...: run CMD unless DONE_FILE exists (a finished step is skipped);
# its output goes to $OUT/NAME.log with /usr/bin/time -v, the command line to $OUT/commands.log.
step() {
  local name=$1 done_file=$2; shift 2
  [ -e "$done_file" ] && return 0
  echo "=== $name: $*" >> "$OUT/commands.log"
  /usr/bin/time -v "$@" > "$OUT/$name.log" 2>&1; echo "exit $?" >> "$OUT/$name.log"
}
