#!/usr/bin/env bash
# filemon, a few end-to-end checks beside the tree test (filemon.sh): the
# open and close of one file by a -c command, paired, with the duration
# the kernel's two times give; whole components (/d is not /dd); a file
# inherited at fork closed by the child and by its opener; exec closing an
# O_CLOEXEC fd; dup2 onto a watched fd; a name with a newline and a byte
# that is not UTF-8; filemon ending by itself when nothing matches; -S a
# program ply accepts, and runs with the options its first line gives;
# usage errors; the library's messages under
# filemon's name.
. "$(dirname "$0")/lib.sh"
FM=${FILEMON:-$(dirname "$PLY")/filemon}
PY=/usr/bin/python3
D=$TMP/d$$ DD=$TMP/d$$d
mkdir -p "$D" "$DD"
echo one >"$D/f"; echo two >"$DD/f"

run_fm() {
	local out=$1 err=$2; shift 2
	timeout -k 5 60 "$FM" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

# pick FILE PYEXPR: the events of FILE (a list e) through a Python
# expression, printed; "BAD JSON" if a line does not parse.
pick() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
e = []
for l in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    try:
        e.append(json.loads(l))
    except ValueError:
        print("BAD JSON:", l.rstrip()); sys.exit(0)
print(eval(sys.argv[2]))
EOF
}

# ---- one file opened and closed by the command ----
run_fm $TMP/out $TMP/err -c "cat $D/f >/dev/null" "$D"
expect_rc "cat: exits 0 by itself" 0
expect_eq "cat: start first, end last" \
	"$(pick $TMP/out '(e[0]["event"], e[-1]["event"], len(e))')" "('start', 'end', 4)"
expect_eq "cat: the open, then its close, paired" \
	"$(pick $TMP/out '[(x["event"], x["comm"], x["path"], x["fd"], x.get("how")) for x in e[1:3]]')" \
	"[('open', 'cat', '$D/f', 3, None), ('close', 'cat', '$D/f', 3, 'close')]"
expect_eq "cat: duration_ns is the close's time minus the open's" \
	"$(pick $TMP/out 'e[2]["time"] - e[1]["time"] == e[2]["duration_ns"] > 0')" True
expect_eq "cat: end counts" \
	"$(pick $TMP/out '(e[-1]["opens"], e[-1]["closes"], e[-1]["still_open"], e[-1]["lost"])')" "(1, 1, 0, 0)"

# ---- /d matches /d/f, never /dd/f; a trailing slash changes nothing ----
run_fm $TMP/out $TMP/err -c "cat $DD/f $D/f >/dev/null" "$D/"
expect_eq "whole components: $D/ and not ${DD}" \
	"$(pick $TMP/out 'sorted(set(x["path"] for x in e if "path" in x))')" "['$D/f']"

# ---- inherited at fork: the child's close and the opener's ----
run_fm $TMP/out $TMP/err -c "sh -c 'exec 3<$D/f; cat /dev/null; exec 3<&-'" "$D"
expect_eq "inherited: the child's exit, then the opener's close" \
	"$(pick $TMP/out '[(x["comm"], x["how"], x.get("via"), x.get("opener_pid") == e[1]["pid"]) for x in e if x["event"] == "close"]')" \
	"[('cat', 'inherited', 'exit', True), ('sh', 'close', None, False)]"

# The child closes it late, once filemon has seen the fork: the kernel,
# which sends only the closes of watched fds, was told of the child's.
run_fm $TMP/out $TMP/err -c "sh -c 'exec 3<$D/f; (sleep 0.5; exec 3<&-; sleep 0.2); exec 3<&-'" "$D"
expect_eq "inherited, closed late: the child's close is sent" \
	"$(pick $TMP/out '[(x["comm"], x["how"], x.get("via")) for x in e if x["event"] == "close"]')" \
	"[('sleep', 'inherited', 'exit'), ('sh', 'inherited', 'close'), ('sh', 'close', None)]"

# ---- exec closes an O_CLOEXEC fd; dup2 onto a watched fd closes it
# (Python opens with O_CLOEXEC) ----
run_fm $TMP/out $TMP/err -c "$PY -c 'import os; os.open(\"$D/f\", os.O_RDONLY | os.O_CLOEXEC); fd = os.open(\"$D/f\", os.O_RDONLY); os.dup2(0, fd); os.execv(\"/bin/true\", [\"true\"])'" "$D"
expect_eq "exec and dup2" \
	"$(pick $TMP/out '[(x["fd"], x["how"], x["flags"]) for x in e if x["event"] == "close"]')" \
	"[(4, 'dup2', 'O_RDONLY|O_CLOEXEC'), (3, 'exec', 'O_RDONLY|O_CLOEXEC')]"

# ---- a hostile name: a newline and a byte that is not UTF-8 ----
H=$(printf '%s/a\nb\377c' "$D")
printf x >"$H"
printf '%s' "$H" >$TMP/out.name
run_fm $TMP/out $TMP/err -c "cat '$H' >/dev/null" "$D"
expect_eq "hostile name: one line per event, the exact bytes back" \
	"$(pick $TMP/out '[x["path"].encode("utf-8", "surrogateescape") for x in e if x["event"] == "open"] == [open(sys.argv[1] + ".name", "rb").read()]')" True
run_fm $TMP/out $TMP/err -t -c "cat '$H' >/dev/null" "$D"
expect_nogrep "hostile name: -t escapes it" $TMP/out $'\377|a$'
expect_grep "hostile name: -t shows it escaped" $TMP/out 'a\\nb\\xffc$'

# ---- -x: failed opens, a relative name made absolute with the cwd ----
run_fm $TMP/out $TMP/err -x -c "cd $D && cat nope 2>/dev/null; cat $DD/nope 2>/dev/null" "$D"
expect_eq "-x: the failed open under the prefix, its path absolute" \
	"$(pick $TMP/out '[(x["error"], x["comm"], x["path"], x["errno_name"]) for x in e if x["event"] == "error"]')" \
	"[('open_failed', 'cat', '$D/nope', 'ENOENT')]"

# ---- nothing matches: filemon still ends with the command ----
run_fm $TMP/out $TMP/err -c "cat $DD/f >/dev/null" /nonexistent$$
expect_rc "nothing matches: exits 0 by itself" 0
expect_eq "nothing matches: start and end only" \
	"$(pick $TMP/out '[x["event"] for x in e]')" "['start', 'end']"

# ---- -S: a program ply itself accepts ----
for args in "-c true" "-x -c true /etc /usr/lib/" "--no-children -c true /" "-n x -x"; do
	"$FM" -S $args >$TMP/prog 2>$TMP/err
	if "$PLY" -e -c true "$(cat $TMP/prog)" >/dev/null 2>$TMP/err; then
		ok "-S $args: ply accepts it"
	else
		nok "-S $args: ply accepts it" "$(head -c 1000 $TMP/err)"
	fi
done
# The scope is ply's options, not in the text: the first line gives them;
# the program saved and run with them sees the command's open.
"$FM" -S -c "cat $D/f" "$D" >$TMP/prog.ply
expect_eq "-S: the scope's ply options, as a comment" "$(head -1 $TMP/prog.ply)" \
	"# run with: ply -c 'cat $D/f' -F"
"$FM" -S --no-children -n x >$TMP/prog
expect_eq "-S --no-children: without -F" "$(head -1 $TMP/prog)" "# run with: ply -n x"
eval "set -- $(sed -n '1s/^# run with: ply //p' $TMP/prog.ply)"
run_ply $TMP/out $TMP/err "$@" $TMP/prog.ply
expect_rc "-S: ply ARGS FILE runs it and ends with the command" 0
expect_grep "-S: ply ARGS FILE sees the command's open of $D/f" $TMP/out ", cat, 3, [0-9]+, $D/f\$"

# ---- usage errors: exit 2, one line ----
for args in "-p 1 -c true" "-n x -p 1" "" "-c true etc" "-c true /a\"b" "--bogus -c true"; do
	run_fm $TMP/out $TMP/err $args
	if [ $rc = 2 ] && [ "$(grep -c . $TMP/err)" -ge 1 ]; then
		ok "usage error: $args"
	else
		nok "usage error: $args" "exit $rc" "$(cat $TMP/err)"
	fi
done
run_fm $TMP/out $TMP/err -p 2147483 /etc
expect_rc "-p of no process: exit 1" 1
# a process that was and is gone: the library says so under filemon's name
true & dead=$!; wait $dead
run_fm $TMP/out $TMP/err -p $dead /etc
expect_rc "-p of a dead process: exit 1" 1
expect_grep "-p of a dead process: said by filemon" $TMP/err \
	"^filemon: -p $dead: no such process\$"
expect_nogrep "-p of a dead process: not by ply" $TMP/err '^ply:'

finish filemon_smoke
