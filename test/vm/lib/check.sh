# SPDX-License-Identifier: Apache-2.0
#
# Helpers for guest tests (test/vm/tests/*.sh), sourced with `. "$RAMPART_ROOT/test/vm/lib/check.sh"`.
# Each check prints "  ok - <what>" or "  not ok - <what> (...)" plus the command's output on
# failure; `finish` exits 1 if any check failed, else 0.
CHECK_FAILED=0
CHECK_COUNT=0

# pass/fail WHAT [DETAIL]: record a result computed by the caller
pass() { CHECK_COUNT=$((CHECK_COUNT + 1)); echo "  ok - $1"; }
fail() {
  CHECK_COUNT=$((CHECK_COUNT + 1)); CHECK_FAILED=$((CHECK_FAILED + 1))
  echo "  not ok - $1${2:+ ($2)}"
}

# expect_rc WHAT WANT CMD...: run CMD (stdout+stderr captured) and compare its exit status to WANT;
# WANT may be "nonzero". The captured output is left in $CHECK_OUT.
expect_rc() {
  _what=$1; _want=$2; shift 2
  CHECK_OUT=$("$@" 2>&1); _rc=$?
  if [ "$_want" = nonzero ] && [ $_rc -ne 0 ] || [ "$_want" = "$_rc" ]; then
    pass "$_what"
  else
    fail "$_what" "rc=$_rc, want $_want: $*"
    [ -z "$CHECK_OUT" ] || printf '%s\n' "$CHECK_OUT" | sed 's/^/      | /' | head -20
  fi
}

# expect_denied WHAT CMD...: CMD must fail with a permission error (EACCES/EPERM) in its output
expect_denied() {
  _what=$1; shift
  CHECK_OUT=$("$@" 2>&1); _rc=$?
  if [ $_rc -ne 0 ] && printf '%s' "$CHECK_OUT" | grep -qiE 'permission denied|operation not permitted'; then
    pass "$_what"
  else
    fail "$_what" "rc=$_rc, want a permission error: $*"
    [ -z "$CHECK_OUT" ] || printf '%s\n' "$CHECK_OUT" | sed 's/^/      | /' | head -20
  fi
}

# expect_output WHAT REGEX CMD...: CMD must exit 0 and print something matching REGEX (grep -E)
expect_output() {
  _what=$1; _re=$2; shift 2
  CHECK_OUT=$("$@" 2>&1); _rc=$?
  if [ $_rc -eq 0 ] && printf '%s' "$CHECK_OUT" | grep -qE -- "$_re"; then
    pass "$_what"
  else
    fail "$_what" "rc=$_rc, want output matching /$_re/: $*"
    [ -z "$CHECK_OUT" ] || printf '%s\n' "$CHECK_OUT" | sed 's/^/      | /' | head -20
  fi
}

# wait_for WHAT SECONDS CMD...: poll CMD once a second until it succeeds; rc 2 from CMD means
# give up now. On a timeout, the tails of the files in $WAIT_LOGS (default: $LOG) are printed,
# without debug lines.
wait_for() {
  _w=$1; _n=$2; shift 2
  while [ "$_n" -gt 0 ]; do
    "$@"; _r=$?
    [ $_r -eq 0 ] && { pass "$_w"; return 0; }
    [ $_r -eq 2 ] && break
    sleep 1; _n=$((_n - 1))
  done
  fail "$_w" "timed out"
  for _f in ${WAIT_LOGS:-${LOG:-}}; do
    [ -f "$_f" ] && grep -v '"debug"' "$_f" | sed 's/^/      | /' | tail -15
  done
  return 1
}

# skip REASON: mark the whole test skipped (exit 77); the reason reaches the suite's TAP line
skip() {
  echo "  skip: $1"
  [ -z "${VM_TEST_WORK:-}" ] || printf '%s\n' "$1" > "$VM_TEST_WORK/.skip-reason"
  exit 77
}

finish() {
  echo "  $((CHECK_COUNT - CHECK_FAILED))/$CHECK_COUNT checks passed"
  [ $CHECK_FAILED -eq 0 ]
  exit $?
}
