# Shared by the end-to-end tests: each test runs ply for real on this
# kernel and checks what the traced command did. Source it, call the
# checks, end with `finish NAME`.
PLY=${PLY:?PLY must name the ply binary}
PLYLOAD=${PLYLOAD:?PLYLOAD must name the plyload helper}
BPFPROGS=${BPFPROGS:?BPFPROGS must name the bpfprogs helper}
T_PASS=0 T_FAIL=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# plyload under a name of this run's own (its comm; a pid has at most 7
# digits), so that a test that finds it by name never sees another run's:
# $LOADER runs it, and a program names it as the parameter $LOADER_COMM.
export LOADER_COMM=plyload$$
LOADER=$TMP/$LOADER_COMM
cp "$PLYLOAD" "$LOADER"

ok()   { T_PASS=$((T_PASS + 1)); echo "  ok   $1"; }
nok()  { T_FAIL=$((T_FAIL + 1)); echo "  FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; }

# run_ply OUT ERR ply-args...: runs ply, leaving output in files, status in $rc
run_ply() {
	local out=$1 err=$2; shift 2
	timeout -k 5 60 "$PLY" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

# run_tool OUT ERR CMD...: a tool (opentrace, filemon) in the foreground,
# its output in files, its status in $rc
run_tool() {
	local out=$1 err=$2; shift 2
	timeout -k 5 120 "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}
# start_tool OUT ERR READY REGEX CMD...: a tool in the background ($bgpid);
# returns once the file READY (OUT or ERR) has a line matching REGEX (it
# says it is attached), or fails the test; a busy machine takes its time
start_tool() {
	local out=$1 err=$2 ready=$3 re=$4 i; shift 4
	# emptied first: the last run's line must not be taken for this one's
	# (the background shell truncates the files only once it runs)
	: >"$out"; : >"$err"
	timeout -k 5 120 "$@" >"$out" 2>"$err" </dev/null &
	bgpid=$!
	for i in $(seq 1200); do
		grep -Eq -- "$re" "$ready" && return 0
		kill -0 $bgpid 2>/dev/null || break
		sleep 0.05
	done
	nok "$(basename "$1") ${*:2} started within 60 s" "$(head -c 1000 "$err")"
	kill -INT $bgpid 2>/dev/null; wait $bgpid
	return 1
}

# expect_rc NAME WANT
expect_rc() { if [ "$rc" = "$2" ]; then ok "$1"; else nok "$1" "exit status $rc, want $2" "$(head -c 2000 "$TMP/err" 2>/dev/null)"; fi; }
# expect_grep NAME FILE REGEX
expect_grep() { if grep -Eq -- "$3" "$2"; then ok "$1"; else nok "$1" "no line matching /$3/ in:" "$(head -c 2000 "$2")"; fi; }
# expect_nogrep NAME FILE REGEX
expect_nogrep() { if ! grep -Eq -- "$3" "$2"; then ok "$1"; else nok "$1" "unexpected /$3/ in:" "$(head -c 2000 "$2")"; fi; }
# expect_eq NAME GOT WANT
expect_eq() { if [ "$2" == "$3" ]; then ok "$1"; else nok "$1" "got:  $2" "want: $3"; fi; }

# The ids of the BPF programs process $1 and its descendants (ply under
# timeout, ply's guard and command) hold, by their fds (the programs and
# their links), one per line: ply's own, never the machine's, which other
# test runs load and unload meanwhile.
tree_pids() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}
prog_ids() {
	local p
	for p in $(tree_pids "$1"); do
		grep -hs '^prog_id:' /proc/"$p"/fdinfo/*
	done | awk '{ print $2 }' | sort -un
}
# progs_left IDS...: how many of these programs the kernel still has
# ("error" if the helper failed).
progs_left() {
	local out
	out=$("$BPFPROGS" "$@") || { echo error; return; }
	[ -z "$out" ] && echo 0 || wc -l <<<"$out"
}
# wait_gone IDS...: whether the kernel has freed them all (a moment after
# their last fd goes). No ids is a failure: the programs were never seen.
wait_gone() {
	local i
	[ $# -gt 0 ] || return 1
	for i in $(seq 50); do [ "$(progs_left "$@")" = 0 ] && return 0; sleep 0.1; done
	return 1
}

finish() { echo "$1: $T_PASS passed, $T_FAIL failed"; [ $T_FAIL -eq 0 ]; }
