#!/usr/bin/env bash
# opentrace end to end: the audit of seed 001 (a user who may not read
# /etc/shadow tries), the failed open of seed 000, every kind of open with
# relative names, exact counts, a recording reported on later, hostile
# names, JSON that always parses, usage errors.
. "$(dirname "$0")/lib.sh"
OT=${OPENTRACE:-$(dirname "$PLY")/opentrace}
# The workload under a name of this run alone.
LOAD=$TMP/otload_$$
cp "$PLYLOAD" "$LOAD"

# run_ot OUT ERR args...: opentrace in the foreground (with -c)
run_ot() { run_tool "$1" "$2" "$OT" "${@:3}"; }
# start_ot OUT ERR args...: in the background until stop_ot; returns once
# the probes are attached (the line on stderr says so), or fails the test
start_ot() { start_tool "$1" "$2" "$2" 'Ctrl-C to end' "$OT" "${@:3}" && otpid=$bgpid; }
stop_ot() { kill -INT $otpid; wait $otpid; rc=$?; }

# ---- usage errors: exit 2, one line saying why ----
for args in "-p 1 -c true" "-p 1 -u root" "-c true -u root"; do
	run_ot $TMP/out $TMP/err $args
	expect_eq "usage: $args: exit 2, one line" "$rc $(wc -l <$TMP/err)" "2 1"
done
expect_grep "usage: -c with -u says why" $TMP/err 'mutually exclusive with -u'
run_ot $TMP/out $TMP/err -e ENOTANERRNO
expect_eq "usage: -e unknown: exit 2" "$rc" 2
run_ot $TMP/out $TMP/err -o time,bogus
expect_grep "usage: -o unknown column named" $TMP/err 'bogus: no such column'

# ---- -S: the program, which ply itself accepts ----
run_ot $TMP/prog $TMP/err -S -u root -x -d 10us
expect_grep "-S: openat2's return probe" $TMP/prog 'sys_exit_openat2 /.*uid == 0'
expect_grep "-S: -x and -d in the kernel" $TMP/prog 'if \(data->ret < 0 && time - __e\[kpid\]\.0 > 10000\)'
run_ply $TMP/out $TMP/err -e "$(cat $TMP/prog)"
expect_rc "-S: the program compiles with ply" 0

# ---- seed 000: the failed open ----
run_ot $TMP/out $TMP/err -c 'cat /tmp/not_exists'
expect_grep "seed 000: -c cat /tmp/not_exists gives its ENOENT row" $TMP/out \
	'^ +[0-9.]+ root +[0-9]+ cat +ENOENT +[0-9.]+(ns|us|ms) /tmp/not_exists$'
expect_grep "the header comes first" <(head -1 $TMP/out) '^ +TIME USER +PID COMM +FD/ERR +LATENCY PATH$'
expect_grep "the end: calls seen, none lost" $TMP/err \
	'opentrace: [1-9][0-9]* calls seen, [0-9]+ shown; lost: 0 events'

# ---- seed 001: the audit, as a user who may not read /etc/shadow ----
user=otu$$
if useradd -M -N -s /usr/sbin/nologin "$user" 2>$TMP/err; then
	uid=$(id -u "$user")
	start_ot $TMP/out $TMP/err -u "$user" -x
	setpriv --reuid="$uid" --regid=65534 --clear-groups cat /etc/shadow 2>/dev/null
	sleep 0.3
	stop_ot
	expect_grep "seed 001: $user, cat, EACCES, a latency, /etc/shadow" $TMP/out \
		"^ +[0-9.]+ $user +[0-9]+ cat +EACCES +[0-9.]+(ns|us|ms) /etc/shadow$"
	expect_nogrep "seed 001: -x shows no successful open" $TMP/out \
		" [0-9]+ +[0-9.]+(ns|us|ms) /"
	expect_nogrep "seed 001: -u shows no other user" $TMP/out ' root '
	userdel "$user" 2>/dev/null
else
	nok "useradd $user" "$(cat $TMP/err)"
fi

# ---- every kind of open, relative names ----
mkdir -p $TMP/d/sub && echo x >$TMP/d/sub/f
run_ot $TMP/out $TMP/err -j -c "$LOAD opens cd $TMP/d open sub/f openat sub/nope at $TMP/d/sub f at2 $TMP/d/sub f at2 $TMP/d nope creat newf"
# Every path exact, from the kernel (fdpath of the fd, or the directory's
# path joined with the name), whatever the process did after.
python3 - "$TMP/out" "$TMP/d" >$TMP/py 2>&1 <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
d = sys.argv[2]
mine = [(r["call"], r["name"], r["errno_name"] if r["ret"] < 0 else "fd",
	 r["flag_names"], r["mode"]) for r in rows if r["name"] in
	("sub/f", "sub/nope", "f", "nope", "newf")]
print(mine)
want = [("open", "sub/f", "fd", "O_RDONLY", 0),
	("openat", "sub/nope", "ENOENT", "O_RDONLY", 0),
	("openat", "f", "fd", "O_RDONLY", 0),
	("openat2", "f", "fd", "O_RDONLY|O_CLOEXEC", 0),
	("openat2", "nope", "ENOENT", "O_RDONLY|O_CLOEXEC", 0),
	("creat", "newf", "fd", "O_WRONLY|O_CREAT|O_TRUNC", 0o600)]
print("OK" if mine == want else "MISMATCH %r" % want)
# The parent, from the kernel, even though the process is long gone.
if any(not isinstance(r["ppid"], int) or r["ppid"] <= 0 for r in rows):
	print("NO PPID")
# A path is right or unknown, never wrong.
right = {"sub/f": d + "/sub/f", "sub/nope": d + "/sub/nope", "newf": d + "/newf",
	 "f": d + "/sub/f", "nope": d + "/nope"}
for r in rows:
	if r["name"] in right and r["path"] != right[r["name"]]:
		print("WRONG PATH", r["name"], r["path"])
PY
expect_grep "open, openat, openat with a dir fd, openat2, creat: one merged row each (name, result, flags, mode)" $TMP/py '^OK$'
expect_nogrep "every row has the process's parent" $TMP/py 'NO PPID'
expect_nogrep "relative names: exact absolute paths after cd, with a directory fd, openat2, failed and created" $TMP/py 'WRONG PATH'
expect_grep "the end: no path unknown" $TMP/err ' 0 paths that could not be read$'

# ---- exact counts ----
run_ot $TMP/out $TMP/err -o result,path -c "$LOAD open $TMP/d/sub/f 2000"
expect_eq "2000 opens give 2000 rows" "$(grep -c "^3 .*$TMP/d/sub/f\$" $TMP/out)" 2000
shown=$(sed -n 's/.*calls seen, \([0-9]*\) shown.*/\1/p' $TMP/err)
expect_eq "every call counted is a row" "$(($(wc -l <$TMP/out) - 1))" "$shown"

# ---- filters ----
run_ot $TMP/out $TMP/err -e ENOENT -o result,name -c "$LOAD opens openat $TMP/d/sub/f openat $TMP/d/nope"
expect_eq "-e ENOENT: only the ENOENT rows" "$(grep -vc '^ENOENT' $TMP/out)" 1
expect_grep "-e ENOENT: the missing file" $TMP/out "^ENOENT +$TMP/d/nope$"
run_ot $TMP/out $TMP/err --path $TMP/d/sub -o path -c "$LOAD opens openat $TMP/d/sub/f openat $TMP/d/subx openat $TMP/d/nope"
expect_eq "--path: whole components only" "$(tail -n +2 $TMP/out)" "$TMP/d/sub/f"
run_ot $TMP/out $TMP/err -d 10s -c "$LOAD opens openat $TMP/d/sub/f"
expect_eq "-d 10s: nothing that fast" "$(wc -l <$TMP/out)" 1
run_ot $TMP/out $TMP/err -T -o time,comm -c "$LOAD opens openat $TMP/d/sub/f"
expect_grep "-T: wall-clock time" $TMP/out "^$(date +%H):[0-9]{2}:[0-9]{2}\.[0-9]{6} otload_$$"

# ---- hostile names cannot forge rows; JSON always parses ----
evil1=$TMP/d/$'x\n  0.000001 root 1 cat 3 1.00us /etc/passwd'
evil2=$TMP/d/$'\e[2J\e]0;pwned\a\t'
evil3=$TMP/d/$'\xff\xfe\xc3(-"\\'
run_ot $TMP/out $TMP/err -c "$LOAD opens openat '$evil1' openat '$evil2' openat '$evil3'"
shown=$(sed -n 's/.*calls seen, \([0-9]*\) shown.*/\1/p' $TMP/err)
expect_eq "hostile names: one line per call" "$(($(wc -l <$TMP/out) - 1))" "$shown"
expect_nogrep "hostile names: no forged row" $TMP/out '^  0.000001 root'
expect_nogrep "hostile names: no escape sequence reaches the terminal" $TMP/out $'\e'
expect_grep "hostile names: newline shown as \\n" $TMP/out 'x\\n  0.000001 root 1 cat 3 1.00us /etc/passwd$'
run_ot $TMP/rec $TMP/err -w - -c "$LOAD opens openat '$evil1' openat '$evil2' openat '$evil3'"
python3 - "$TMP/rec" "$evil1" "$evil2" "$evil3" >$TMP/py 2>&1 <<'PY'
import json, os, sys
names = [os.fsencode(a) for a in sys.argv[2:]]
got = []
for l in open(sys.argv[1], "rb"):
	r = json.loads(l)
	got.append(r["name"].encode("utf-8", "surrogateescape"))
print("OK" if all(n in got for n in names) else "MISSING")
PY
expect_grep "-w -: every line parses, the names' exact bytes come back (python surrogateescape)" $TMP/py '^OK$'
"$OT" -r - -j <$TMP/rec >$TMP/rec2 2>$TMP/err
expect_eq "-r - -j: the recording comes back byte-exact" "$(md5sum <$TMP/rec2)" "$(md5sum <$TMP/rec)"

# ---- record now, report later: the same calls as a live run ----
cmd="$LOAD opens cd $TMP/d open sub/f openat nope1 at $TMP/d/sub nope2 at2 $TMP/d nope3 openat sub/f"
run_ot $TMP/live $TMP/err -x -j -c "$cmd"
run_ot $TMP/out $TMP/err -w $TMP/all.json -c "$cmd"
"$OT" -r $TMP/all.json -x --sort latency -j >$TMP/rep 2>$TMP/err
key='[(r["call"], r["name"], r["ret"]) for r in map(json.loads, open(sys.argv[1]))]'
a=$(python3 -c "import json,sys; print(sorted($key))" $TMP/live)
b=$(python3 -c "import json,sys; print(sorted($key))" $TMP/rep)
expect_eq "-r -x: the failed calls of a live -x run" "$b" "$a"
expect_grep "-r -x: the failures are there" <(echo "$b") "'nope2', -2"
l=$(python3 -c 'import json,sys; l=[r["latency_ns"] for r in map(json.loads, open(sys.argv[1]))]; print(l == sorted(l, reverse=True) and len(l) >= 3)' $TMP/rep)
expect_eq "--sort latency: slowest first" "$l" True
"$OT" -r $TMP/all.json --summary >$TMP/sum 2>$TMP/err
expect_grep "--summary: by user" $TMP/sum '^by user:$'
expect_grep "--summary: by errno, with ENOENT counted" $TMP/sum '^  ENOENT +[0-9]+ calls$'
expect_grep "--summary: by path prefix (two components)" $TMP/sum "^  /(lib|etc|usr/lib) +[0-9]+ calls"
expect_grep "--summary: latency histograms" $TMP/sum '^    \[ *[0-9.]+(ns|us), +[0-9.]+(ns|us)\) +[0-9]+ \|#+ *\|$'

# ---- -p and -n: only those processes ----
mkfifo $TMP/go
sh -c "read x <$TMP/go; exec $LOAD opens openat $TMP/d/sub/f openat $TMP/d/pnope" &
sp=$!
start_ot $TMP/out $TMP/err -p $sp -o pid,comm,result,path
"$LOAD" opens openat $TMP/d/sub/f	# another process: not shown
echo >$TMP/go; wait $sp
sleep 0.3; stop_ot
expect_grep "-p: the process's opens after an exec" $TMP/out "^ *$sp otload_$$ +ENOENT +$TMP/d/pnope$"
expect_eq "-p: no other process" "$(tail -n +2 $TMP/out | grep -vc "^ *$sp ")" 0
start_ot $TMP/out $TMP/err -n otload_$$ -o comm,path
"$LOAD" opens openat $TMP/d/sub/f
cat $TMP/d/sub/f >/dev/null
sleep 0.3; stop_ot
expect_grep "-n: the named process" $TMP/out "^otload_$$ +$TMP/d/sub/f$"
expect_eq "-n: no other name" "$(tail -n +2 $TMP/out | grep -vc "^otload_$$ ")" 0

# ---- the engine's scope: -F follows the tree, -p alone does not ----
# A parent started before opentrace, held on a fifo; once released it
# starts a child shell, which starts the grandchild that opens (each ";
# true" keeps the shell from exec'ing its last command).
tree() {
	rm -f $TMP/go; mkfifo $TMP/go
	sh -c "read x <$TMP/go; sh -c '$LOAD opens openat $TMP/d/sub/f openat $TMP/d/$1; true'; true" &
	sp=$!
}
tree gcF
start_ot $TMP/out $TMP/err -p $sp -F -o pid,ppid,comm,result,path
echo >$TMP/go
# -p stops by itself once its processes are gone
for i in $(seq 200); do kill -0 $otpid 2>/dev/null || break; sleep 0.1; done
wait $sp
if kill -0 $otpid 2>/dev/null; then
	nok "-p -F: opentrace stops once the tree has exited"
	stop_ot
else
	wait $otpid; rc=$?
	ok "-p -F: opentrace stops once the tree has exited"
fi
expect_grep "-p -F: the grandchild's failed open, started after opentrace" $TMP/out \
	" otload_$$ +ENOENT +$TMP/d/gcF$"
gc=$(awk -v f="$TMP/d/gcF" '$NF == f { print $1 }' $TMP/out)
gcp=$(awk -v f="$TMP/d/gcF" '$NF == f { print $2 }' $TMP/out)
expect_eq "-p -F: a grandchild (its parent is not the -p process)" \
	"$([ -n "$gc" ] && [ "$gc" != $sp ] && [ "$gcp" != $sp ] && echo yes)" yes
expect_eq "-p -F: nothing from outside the tree" "$(tail -n +2 $TMP/out | grep -vc " otload_$$ \| sh ")" 0
tree gcP
start_ot $TMP/out $TMP/err -p $sp -o pid,comm,result,path
echo >$TMP/go; wait $sp
sleep 0.3; stop_ot
expect_nogrep "-p without -F: not the grandchild" $TMP/out "$TMP/d/gcP"
expect_eq "-p without -F: only the process itself" "$(tail -n +2 $TMP/out | grep -vc "^ *$sp ")" 0
run_ot $TMP/out $TMP/err -F -o comm,result,path -c "sh -c '$LOAD opens openat $TMP/d/gcC; true'"
expect_grep "-c -F: the command's child" $TMP/out "^otload_$$ +ENOENT +$TMP/d/gcC$"
run_ot $TMP/out $TMP/err -o comm,result,path -c "sh -c '$LOAD opens openat $TMP/d/gcC; true'"
expect_nogrep "-c without -F: the command's process only" $TMP/out "$TMP/d/gcC"
sleep 2 &
sp=$!
run_ot $TMP/prog $TMP/err -S -p $sp -F
expect_eq "-S: the ply options of the scope, as a comment" "$(head -1 $TMP/prog)" "# run with: ply -p $sp -F"
expect_nogrep "-S: -p is not in the text" $TMP/prog "pid == $sp"
run_ply $TMP/out $TMP/err -p $sp -F -e "$(cat $TMP/prog)"
expect_rc "-S: ply runs the program with those options (and stops with the process)" 0
wait $sp
run_ot $TMP/out $TMP/err -F
expect_eq "usage: -F alone: exit 2, one line" "$rc $(wc -l <$TMP/err)" "2 1"

# ---- calls cut by the start or the end of tracing: said, never merged ----
# A reader blocks in open(2) of a FIFO until a writer comes.
mkfifo $TMP/fifo
"$LOAD" opens openat $TMP/fifo &
bp=$!
sleep 0.3	# it is in the call before the probes
start_ot $TMP/out $TMP/err -p $bp -o pid,result,path
echo >$TMP/fifo & wait $bp
sleep 0.3; stop_ot
expect_grep "a call begun before the probes: its return, said to be without its entry" $TMP/out \
	"^ *$bp 3 +\(entry not seen"
expect_grep "and counted at the end" $TMP/err ' 1 returns without their entry'
start_ot $TMP/out $TMP/err -o result,path -n otload_$$
"$LOAD" opens openat $TMP/fifo &
bp=$!
sleep 0.3	# in the call when tracing stops
stop_ot
echo >$TMP/fifo & wait $bp
expect_grep "a call still in its open when tracing stops: said to have no return" $TMP/out \
	'^\? +\(return not seen\)$'
expect_grep "and counted at the end" $TMP/err ' 1 entries without their return'

finish opentrace
