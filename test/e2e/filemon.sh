#!/usr/bin/env bash
# filemon end to end (issue 12): a process tree made for the test
# (test/helpers/ftree.c: children started before filemon and after it, a
# grandchild, a child reparented to init, a thread, an exec) opens and
# closes known files under /etc, /usr/lib and /tmp in every way a file can
# be closed, and writes down what it did; an unrelated process opens the
# same files meanwhile. filemon must report exactly the tree's opens and
# closes under its prefixes, paired, said how, with durations the tree's
# own clock brackets (test/e2e/filemon.py compares). Also: -c and -p end by
# themselves, -n catches a program started later, still_open at the end,
# --summary, hostile names, usage errors.
. "$(dirname "$0")/lib.sh"
FM=${FILEMON:-$(dirname "$PLY")/filemon}
FTREE=$(dirname "$PLYLOAD")/ftree
CHECK=$(dirname "$0")/filemon.py

# run_fm OUT ERR args...: filemon in the foreground, status in $rc
run_fm() { run_tool "$1" "$2" "$FM" "${@:3}"; }
# start_fm OUT ERR args...: in the background ($fmpid); returns once its
# start line is out (the probes are attached), or fails the test
start_fm() { start_tool "$1" "$2" "$1" '"event": *"start"' "$FM" "${@:3}" && fmpid=$bgpid; }
# ends_alone NAME ERR: filemon ($fmpid) exits by itself within 30 s, status 0
ends_alone() {
	local i
	for i in $(seq 600); do kill -0 $fmpid 2>/dev/null || break; sleep 0.05; done
	if kill -0 $fmpid 2>/dev/null; then
		nok "$1" "still running 30 s after the last watched process"
		kill -INT $fmpid
	fi
	wait $fmpid; rc=$?
	fm_rc "$1" 0 "$2"
}
# fm_rc NAME WANT ERR: filemon's exit status, with what it said if wrong
fm_rc() { if [ "$rc" = "$2" ]; then ok "$1"; else nok "$1" "exit status $rc, want $2" "$(head -c 1000 "$3")"; fi; }
wait_file() { local i; for i in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
# py NAME args...: the checker's lines are this script's checks
py() {
	local name=$1; shift
	python3 "$CHECK" "$@" >$TMP/py 2>&1
	if ! grep -q '^  \(ok\|FAIL\) ' $TMP/py; then
		nok "$name: the checker ran" "$(tail -5 $TMP/py)"
		return
	fi
	cat $TMP/py
	T_PASS=$((T_PASS + $(grep -c '^  ok ' $TMP/py)))
	T_FAIL=$((T_FAIL + $(grep -c '^  FAIL ' $TMP/py)))
}

# mkfiles DIR: the files the tree opens, listed NUL-separated in DIR/list:
# two of /etc, /etc/os-release (a symlink into /usr/lib), two of /usr/lib,
# and DIR/files/: a plain name, hostile names (a newline that would forge
# a line, an escape sequence, a byte that is not UTF-8), and a file of
# DIR/filesx (a prefix DIR/files must not match it)
mkfiles() {
	local d=$1 usrlib f
	mkdir -p "$d/files" "$d/filesx"
	usrlib=$(find /usr/lib -mindepth 2 -maxdepth 2 -type f -readable -size +0 \
		-name '*[a-z]' 2>/dev/null | LC_ALL=C sort | head -1)
	FILES=(/etc/passwd /etc/os-release /usr/lib/os-release $usrlib
	       "$d/files/plain" "$d/files/"$'nl\n{"event":"open","pid":1}'
	       "$d/files/"$'esc\e[2J\e]0;x\a' "$d/files/"$'bad\xff\xfe' "$d/filesx/f")
	[ -r /etc/hostname ] && FILES+=(/etc/hostname)
	for f in "${FILES[@]}"; do
		case $f in "$d"/*) echo x >"$f" ;; esac
	done
	printf '%s\0' "${FILES[@]}" >"$d/list"
}

if [ ! -x "$FM" ] || [ ! -x "$FTREE" ]; then
	nok "filemon and ftree built" "no $FM or no $FTREE (make && make tests)"
	finish filemon
	exit
fi

# ---- usage errors: exit 2, one line; other errors: exit 1 ----
for args in "-p 1 -c true" "/etc" "-p 1 etc"; do
	run_fm $TMP/out $TMP/err $args
	expect_eq "usage: filemon $args: exit 2, one line" "$rc $(wc -l <$TMP/err)" "2 1"
done
run_fm $TMP/out $TMP/err -p 999999999
expect_eq "-p of no such process: exit 1" "$rc" 1
run_fm $TMP/out $TMP/err -S -p 1 /etc
expect_eq "-S: the program, exit 0" "$rc $([ -s $TMP/out ] && echo printed)" "0 printed"

# ---- the ground truth itself, against strace ----
if command -v strace >/dev/null; then
	D=$TMP/strace; mkfiles $D; touch $D/go
	strace -f -o $TMP/strace.out -e trace=open,openat,openat2 "$FTREE" tree $D >/dev/null 2>&1
	py strace strace $TMP/strace.out $D
else
	echo "  skip the truth against strace (not installed)"
fi

# ---- -p -p: two trees, three children each before filemon, two after ----
D=$TMP/p D2=$TMP/p2; mkfiles $D; mkfiles $D2
"$FTREE" other $D & other=$!
"$FTREE" tree $D & tree=$!
"$FTREE" tree $D2 & tree2=$!
if wait_file $D/ready && wait_file $D2/ready &&
   start_fm $TMP/out1 $TMP/err1 -p $tree -p $tree2 /etc /usr/lib; then
	touch $D/go $D2/go
	wait $tree $tree2
	ends_alone "-p: filemon ends by itself once the trees are gone, exit 0" $TMP/err1
	touch $D/stop; wait $other
	py "-p" check $TMP/out1 "$D:$D2" ftree --scope "-p $tree -p $tree2" /etc /usr/lib
else
	touch $D/go $D2/go $D/stop; wait
fi

# ---- -c: the whole tree, /tmp too; -o; --summary ----
D=$TMP/c; mkfiles $D; touch $D/go
"$FTREE" other $D & other=$!
run_fm $TMP/out $TMP/err2 --summary -o $TMP/out2 -c "$FTREE tree $D" /etc /usr/lib "$D/files/"
touch $D/stop; wait $other
fm_rc "-c: filemon ends by itself when the command's tree is done, exit 0" 0 $TMP/err2
expect_eq "-o FILE: nothing on stdout" "$(wc -c <$TMP/out)" 0
py "-c" check $TMP/out2 $D ftree /etc /usr/lib "$D/files/"
py "--summary" summary $TMP/out2 $D /etc /usr/lib "$D/files"

# ---- --no-children: the command's own process alone ----
D=$TMP/nc; mkfiles $D; touch $D/go
run_fm $TMP/out5 $TMP/err5 --no-children -c "$FTREE tree $D" /etc /usr/lib
fm_rc "--no-children -c: exit 0" 0 $TMP/err5
py "--no-children" check $TMP/out5 $D ftree --roles P /etc /usr/lib

# ---- -x: failed opens, by a relative name, made absolute ----
D=$TMP/x; mkfiles $D
run_fm $TMP/out6 $TMP/err6 -x -c "$FTREE once $D" "$D/files"
fm_rc "-x -c: exit 0" 0 $TMP/err6
py "-x" check $TMP/out6 $D ftree -x "$D/files"

# ---- many prefixes, long ones: as many as given, each matched ----
D=$TMP/m; mkfiles $D
many=("$D/files")
for i in $(seq 12); do many+=("/etc/fm$$-$i"); done
many+=("/etc/$(printf 'l%.0s' $(seq 190))" "/usr/lib/$(printf 'm%.0s' $(seq 190))")
run_fm $TMP/out7 $TMP/err7 -c "$FTREE once $D" "${many[@]}"
fm_rc "15 prefixes, two of 200 bytes: exit 0" 0 $TMP/err7
py "many prefixes" check $TMP/out7 $D ftree "${many[@]}"

# ---- -t: the hostile names escaped in the table ----
D=$TMP/t; mkfiles $D
run_fm $TMP/out3 $TMP/err3 -t -c "$FTREE once $D" "$D/files"
fm_rc "-t -c: exit 0" 0 $TMP/err3
n=1	# and the file it creat(2)s
for f in "${FILES[@]}"; do case $f in "$D/files/"*) n=$((n + 1)) ;; esac; done
expect_eq "-t: a row for each open and each close of the files under the prefix" \
	"$(grep -c "$D/files/" $TMP/out3)" "$((n * 2))"
expect_nogrep "-t: no raw control byte" $TMP/out3 $'[\x01-\x08\x0b-\x1f\x7f]'
expect_grep "-t: the newline shown as \\n" $TMP/out3 'nl\\n\{"event":"open","pid":1\}$'
expect_nogrep "-t: no line forged by a name" $TMP/out3 '^\{"event"'
expect_grep "-t: the escape shown as \\x1b" $TMP/out3 'esc\\x1b\[2J\\x1b\]0;x\\x07$|esc\\x1b\[2J\\x1b\]0;x\\a$'

# ---- -p of a thread's id: its process ----
D=$TMP/tid; mkfiles $D
"$FTREE" hold $D /etc/passwd & held=$!
for i in $(seq 600); do grep -q '^role HT ' $D/truth 2>/dev/null && break; sleep 0.05; done
tid=$(sed -n 's/^role HT //p' $D/truth)
if start_fm $TMP/out9 $TMP/err9 -p "$tid" /etc; then
	touch $D/release; wait $held
	ends_alone "-p TID: filemon ends by itself with the thread's process, exit 0" $TMP/err9
	py "-p TID" check $TMP/out9 $D ftree --scope "-p $tid" /etc
else
	touch $D/release; wait $held
fi

# ---- a close filemon may not see as the process's: exact, or said;
# never another file's ----
D=$TMP/fx; mkdir -p $D
run_fm $TMP/out10 $TMP/err10 -c "$FTREE fioclex $D /etc/passwd /etc/group" /etc
fm_rc "ioctl(FIOCLEX), exec: exit 0" 0 $TMP/err10
py "unseen" unseen $TMP/out10 $D
D=$TMP/cf; mkdir -p $D; echo x >$D/f2
run_fm $TMP/out11 $TMP/err11 -c "$FTREE cfiles $D /etc/passwd $D/f2" /etc
fm_rc "a CLONE_FILES sibling's close: exit 0" 0 $TMP/err11
py "cfiles" cfiles $TMP/out11 $D

# ---- paths over 255 bytes: counted and said, not dropped ----
# Under the watched prefix (this run's own directory): a 280-byte path,
# opened twice (two files), and a short one, once. The cut ones can match
# no prefix: they are counted, in an error line and the end line.
D=$TMP/cut; L=$D/$(printf 'a%.0s' $(seq 100))/$(printf 'b%.0s' $(seq 100))/$(printf 'c%.0s' $(seq 60))
mkdir -p $L; echo x >$L/file1; echo x >$L/file2; echo x >$D/short
run_fm $TMP/out12 $TMP/err12 -c "cat $L/file1 $D/short $L/file2 >/dev/null" $D
fm_rc "paths over 255 bytes: exit 0" 0 $TMP/err12
expect_eq "paths over 255 bytes: the short path's open and close, one error line \"paths_cut\" counting the two others, the end line's paths_cut" \
	"$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print([(e["event"], e.get("path", e.get("error")), e.get("count"))
       for e in ev if e["event"] in ("open", "close", "error")],
      [(e["opens"], e["closes"], e["paths_cut"]) for e in ev if e["event"] == "end"])
' $TMP/out12 2>&1)" \
	"[('open', '$D/short', None), ('close', '$D/short', None), ('error', 'paths_cut', 2)] [(1, 1, 2)]"
run_fm $TMP/out13 $TMP/err13 -t -c "cat $L/file1 >/dev/null" $D
expect_grep "paths over 255 bytes, -t: said on the table and in the counts" \
	<(cat $TMP/out13 $TMP/err13) 'paths_cut +1 opens of paths over 255 bytes'
expect_grep "paths over 255 bytes, -t: the counts on stderr" $TMP/err13 ', 1 paths cut$'

# ---- a reader too slow: events lost, and said ----
# filemon's output is a FIFO read only once the command is done: filemon
# blocks writing, the kernel's buffer fills, events are dropped.
D=$TMP/l; mkdir -p $D; echo x >$D/f; mkfifo $D/fifo
timeout -k 5 120 "$FM" -c "$(dirname "$PLYLOAD")/benchload open $D/f 300000 $D/done" $D/f \
	>$D/fifo 2>$TMP/err8 </dev/null &
fmpid=$!
exec 3<$D/fifo	# opened, not read: the start line fits the pipe
wait_file $D/done	# the command's report: its loop is over
cat <&3 >$TMP/out8; exec 3<&-
wait $fmpid; rc=$?
fm_rc "a slow reader: exit 0" 0 $TMP/err8
py "lost" lost $TMP/out8 $D/f 300000

# ---- -n: a program started after filemon; still_open at the end ----
D=$TMP/n; mkfiles $D
name=fmh$$
cp "$FTREE" $TMP/$name
if start_fm $TMP/out4 $TMP/err4 -n $name /etc; then
	"$FTREE" other $D & other=$!	# the same file, another name
	$TMP/$name hold $D /etc/passwd & held=$!
	# the open's line out of filemon, however busy the machine
	for i in $(seq 600); do grep -q '"/etc/passwd"' $TMP/out4 && break; sleep 0.05; done
	t_stop=$("$FTREE" now)
	kill -INT $fmpid; wait $fmpid; rc=$?
	t_end=$("$FTREE" now)
	touch $D/release $D/stop; wait $held $other
	fm_rc "-n: SIGINT ends filemon, exit 0" 0 $TMP/err4
	py "-n" held $TMP/out4 $D $t_stop $t_end
	expect_grep "-n: the start line names the scope" <(head -1 $TMP/out4) "\"scope\": *\"-n $name\""
fi

finish filemon
