#!/usr/bin/env bash
# filemon without python3 (the VM has none; test/e2e/filemon*.sh need it),
# for the VM's kernel: processes that open and close known files and write
# down what they did (test/helpers/ftree), and filemon's JSON lines, which
# must name exactly those closes: the process, the fd, how the file was
# closed (close, exec, exit) and the path, with a duration inside the one
# the process's own clock brackets. Runs on the host too:
#   FILEMON=build/filemon PLY=... PLYLOAD=... BPFPROGS=... bash THIS
. "$(dirname "$0")/../../e2e/lib.sh"
FM=${FILEMON:-$(dirname "$PLY")/filemon}
FTREE=$(dirname "$PLYLOAD")/ftree
export LC_ALL=C
D=$TMP/fm$$
mkdir -p "$D/files" "$D/filesx"
for f in a b c; do echo "$f" >"$D/files/$f"; done
echo x >"$D/filesx/a"
# ftree once opens and closes each of these (not the one in filesx: the
# prefix is $D/files, whole components)
printf '%s\0' "$D/files/a" "$D/files/b" "$D/filesx/a" >"$D/list"

run_fm() { run_tool "$1" "$2" "$FM" "${@:3}"; }

# truth: each close ftree wrote down in $D/truth of a file under $D/files,
# "PID FD HOW VIA PATH LO HI", in the order of the opens for each PID and
# FD: filemon's duration must lie in [LO, HI], from after the open to
# before the close, up to before the open and after the close (for exec,
# when the new image began; for exit, when the parent reaped it)
truth() {
	local tag pid tid fd how via opid otid oppid flags t0 t1 t2 t3 h
	while read -r tag pid tid fd how via opid otid oppid flags t0 t1 t2 t3 h; do
		[ "$tag" = close ] || continue
		case $t3 in
		E) t3=$(sed -n "s/^exec $pid //p" "$D/truth") ;;
		X) t3=$(sed -n "s/^reaped $pid //p" "$D/truth") ;;
		esac
		printf '%s %s %s %s %b %s %s %s\n' "$pid" "$fd" "$how" "$via" \
			"$(sed 's/../\\x&/g' <<<"$h")" $((t2 - t1)) $((t3 - t0)) "$t1"
	done <"$D/truth" | grep "^[0-9]* [0-9]* [a-z0-9_]* [a-z0-9_-]* $D/files/" |
		sort -k1,1n -k2,2n -k8,8n | cut -d' ' -f1-7
}
# seen OUT: filemon's closes in OUT, "PID FD HOW VIA PATH DURATION", in
# the order of the opens (the close's time less the duration) likewise
seen() {
	local pid fd how via path dur t
	sed -n 's/^{"event":"close","time":\([0-9]*\),.*,"pid":\([0-9]*\),.*,"path":"\([^"]*\)","fd":\([0-9]*\),.*,"duration_ns":\([0-9]*\),"how":"\([a-z0-9_]*\)"\(,"via":"\([a-z0-9_]*\)"\)\{0,1\}.*/\2 \4 \6 -\8 \3 \5 \1/p' "$1" |
	while read -r pid fd how via path dur t; do
		[ "$via" = - ] || via=${via#-}
		echo "$pid $fd $how $via $path $dur $((t - dur))"
	done | sort -k1,1n -k2,2n -k7,7n | cut -d' ' -f1-6
}
# check NAME OUT: the same closes, each with a duration in its bracket,
# and start and end lines whose counts agree (no <(...): the VM has no
# /dev/fd)
check() {
	local name=$1 out=$2 n o
	truth >$TMP/truth; seen "$out" >$TMP/seen
	n=$(grep -c . $TMP/truth)
	if [ "$n" = 0 ]; then
		nok "$name: ftree wrote down its closes" "$(head -5 "$D/truth" 2>&1)"
		return
	fi
	expect_eq "$name: the $n closes ftree made, said how" \
		"$(cut -d' ' -f1-5 $TMP/seen)" "$(cut -d' ' -f1-5 $TMP/truth)"
	# the durations, line by line, once the closes are the same
	[ "$(cut -d' ' -f1-5 $TMP/seen)" == "$(cut -d' ' -f1-5 $TMP/truth)" ] &&
		expect_eq "$name: each duration inside what ftree's clock brackets" \
			"$(paste -d' ' $TMP/seen $TMP/truth |
				awk 'NF != 13 || $6 < $12 || $6 > $13 { print "out: " $0 }')" ""
	head -1 "$out" >$TMP/first; tail -1 "$out" >$TMP/last
	expect_grep "$name: the start line first" $TMP/first \
		"^\\{\"event\":\"start\",.*\"children\":true,\"paths\":\"$D/files\"\\}\$"
	# an inherited copy's close is one more close of the same open
	o=$((n - $(grep -c '^[0-9]* [0-9]* inherited ' $TMP/truth)))
	expect_grep "$name: the end line last: $o opens, $n closes, none lost" $TMP/last \
		"^\\{\"event\":\"end\",.*\"opens\":$o,\"closes\":$n,\"still_open\":0,\"lost\":0,"
}

if [ ! -x "$FM" ] || [ ! -x "$FTREE" ]; then
	nok "filemon and ftree built" "no $FM or no $FTREE"
	finish filemon-smoke
	exit
fi

# ---- open and close: each listed file, and a creat(2) ----
run_fm $TMP/out $TMP/err -c "$FTREE once $D" "$D/files"
expect_rc "once: filemon exits 0 with the command" 0
check once $TMP/out
expect_nogrep "once: nothing of $D/filesx" $TMP/out "$D/filesx"

# ---- exec: close-on-exec set by ioctl(FIOCLEX), then the new image
# opens the next file on that fd ----
rm -f "$D/truth"
run_fm $TMP/out $TMP/err -c "$FTREE fioclex $D $D/files/a $D/files/c" "$D/files"
expect_rc "fioclex: filemon exits 0 with the command" 0
check fioclex $TMP/out
expect_grep "fioclex: the exec's close" $TMP/seen "^[0-9]+ [0-9]+ exec - $D/files/a "

# ---- the tree: children started before the go and after, a thread, an
# exec, dup2, close_range, SIGKILL, a grandchild reparented to init;
# closes by close, exit, exec, dup2, close_range and inherited ones ----
rm -f "$D/truth"; touch "$D/go"
run_fm $TMP/out $TMP/err -c "$FTREE tree $D" "$D/files"
expect_rc "tree: filemon exits 0 once the whole tree is done" 0
check tree $TMP/out
# C5's main thread exits first; its last thread then closes one file and
# exits with the other open: the process is in the scope until then
expect_eq "tree: no file left open when the tree is done (C5's last thread's close and exit seen)" \
	"$(grep -c '"still_open":true' $TMP/out)" 0
for how in close exit exec dup2 close_range inherited; do
	expect_grep "tree: a close by $how among them" $TMP/truth "^[0-9]+ [0-9]+ $how "
done

finish filemon-smoke
