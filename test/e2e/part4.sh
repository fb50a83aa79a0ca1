#!/usr/bin/env bash
# Engine part 4: min/max/avg/stats/lhist against known reads, JSON output
# (every line parsed by python3's json module, hostile strings recovered
# byte for byte), -o FILE, and -l. The workload runs under a name of this
# run's own, so nobody else's reads are counted.
. "$(dirname "$0")/lib.sh"

# The JSON checks parse with python3; where there is none (the VM's
# initramfs) they are said skipped, never passed.
have_py() { command -v python3 >/dev/null || { echo "  skip $1 (no python3)"; return 1; }; }

W=$TMP/js$$
cp "$PLYLOAD" "$W"
C=$(basename "$W")

# Two processes, pinned to CPU 0 and CPU 1, read /dev/zero in known sizes:
# the minimum is on one CPU, the maximum on the other.
L0=1,2,3,100 L1=5,7,500,4096
PROG="tracepoint:syscalls/sys_exit_read /comm == \"${C}r\"/ {
	@min = min(data->ret); @max = max(data->ret); @avg = avg(data->ret);
	@st = stats(data->ret); @lh = lhist(data->ret, 0, 1000, 100);
	@neg[comm] = min(0 - data->ret); }"

run_ply $TMP/out $TMP/err -c "$W sizes $L0 $L1" "$PROG"
expect_rc "aggregations: exit 0" 0
expect_grep "min of mins across CPUs" $TMP/out '^@min: 1$'
expect_grep "max of maxes across CPUs" $TMP/out '^@max: 4096$'
expect_grep "avg: 4714 / 8" $TMP/out '^@avg: 589$'
expect_grep "stats" $TMP/out '^@st: count 8, avg 589, total 4714$'
expect_grep "a signed min (keyed)" $TMP/out "^\{ ${C}r \}: -4096\$"
expect_grep "lhist [0, 100): 1 2 3 5 7" $TMP/out '^\s+\[   0,  100\)\s+5 ┤'
expect_grep "lhist [100, 200): 100" $TMP/out '^\s+\[ 100,  200\)\s+1 ┤'
expect_grep "lhist [500, 600): 500" $TMP/out '^\s+\[ 500,  600\)\s+1 ┤'
expect_grep "lhist >= 1000: 4096" $TMP/out '^\s+>= 1000\s+1 ┤'
expect_nogrep "lhist: nothing below 0" $TMP/out '< 0'

# The same as JSON, every line parsed.
run_ply $TMP/out $TMP/err -f json -c "$W sizes $L0 $L1" "$PROG"
expect_rc "json aggregations: exit 0" 0
have_py "json: min max avg stats lhist" && { got=$(python3 - "$TMP/out" <<'PY'
import json, sys
m = {}
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    o = json.loads(line)
    if o["type"] == "map":
        m[o["name"]] = o
print(m["@min"]["kind"], m["@min"]["value"], m["@max"]["value"],
      m["@avg"]["value"], m["@st"]["value"]["count"], m["@st"]["value"]["avg"],
      m["@st"]["value"]["total"], m["@neg"]["entries"][0]["value"],
      [(b["lo"], b["hi"], b["count"]) for b in m["@lh"]["value"]["buckets"]
       if b["count"]])
PY
)
expect_eq "json: min max avg stats lhist" "$got" \
	"min 1 4096 589 8 589 4714 -4096 [(0, 100, 5), (100, 200, 1), (500, 600, 1), (1000, None, 1)]"; }

# Hostile file names: a newline, quotes, a backslash, an escape sequence,
# bytes that are not UTF-8. Every line parses, and the bytes come back.
H=$(printf '%s/a"b\\c\nd\033[31m\377\376\303' "$TMP")
run_ply $TMP/out $TMP/err -f json -c "$W open '$H' 3" \
	"tracepoint:syscalls/sys_enter_openat /comm == \"$C\"/ {
	   printf(\"%s opens %s\n\", comm, str(data->filename));
	   print(str(data->filename), pid);
	   @[str(data->filename)] = count(); @q = quantize(3); }"
expect_rc "hostile names: exit 0" 0
expect_grep "hostile names: the bytes that are not UTF-8 as \\udcXX" $TMP/out '\\udcff\\udcfe\\udcc3'
expect_nogrep "hostile names: no raw newline or ESC in a line" $TMP/out $'\033'
have_py "hostile names" && { got=$(HOSTILE="$H" python3 - "$TMP/out" <<'PY'
import json, os, sys
want = os.environb[b"HOSTILE"]
n = {"printf": 0, "print": 0, "map": 0}
for raw in open(sys.argv[1], "rb"):
    line = raw.decode("utf-8")          # the output is UTF-8 throughout
    assert line.endswith("\n") and "\n" not in line[:-1]
    o = json.loads(line)
    t = o["type"]
    b = lambda s: s.encode("utf-8", "surrogateescape")
    # the loader's opens come first; count the hostile ones
    if t == "printf" and b(o["args"][1]) == want:
        assert o["text"].endswith("\n") and o["args"][0].startswith("js")
        n[t] += 1
    elif t == "print" and b(o["args"][0]) == want:
        assert o["args"][1] > 0, o
        n[t] += 1
    elif t == "map" and o["name"] == "@":
        assert [e["value"] for e in o["entries"] if b(e["key"][0]) == want] == [3], o
        n[t] += 1
    elif t == "map" and o["name"] == "@q":
        assert [(x["lo"], x["hi"]) for x in o["value"]["buckets"]] == [(2, 4)], o
print(n["printf"], n["print"], n["map"])
PY
)
expect_eq "hostile names: 3 printf, 3 print, the map key, all recovered" "$got" "3 3 1"; }

# exit() is an object too.
run_ply $TMP/out $TMP/err -f json 'BEGIN { exit(3); }'
expect_rc "json exit: status 3" 3
expect_eq "json exit object" "$(cat $TMP/out)" '{"type":"exit","code":3}'

# -o FILE: the output goes there, in today's text format.
run_ply $TMP/out $TMP/err -o $TMP/file -c "$W sizes $L0" "$PROG"
expect_rc "-o: exit 0" 0
expect_eq "-o: nothing on stdout" "$(cat $TMP/out)" ""
expect_grep "-o: the maps in the file" $TMP/file '^@max: 100$'
run_ply $TMP/out $TMP/err -o $TMP/nodir/file 'BEGIN { exit(0); }'
expect_rc "-o into a missing directory: exit 1" 1
expect_grep "-o: says which file" $TMP/err 'cannot write .*/nodir/file'
run_ply $TMP/out $TMP/err -f yaml 'BEGIN { exit(0); }'
expect_rc "-f yaml: a usage error" 2

# -l
run_ply $TMP/out $TMP/err -l 'syscalls:sys_enter_open*'
expect_rc "-l: exit 0" 0
expect_grep "-l: a tracepoint as written" $TMP/out '^tracepoint:syscalls/sys_enter_openat$'
expect_nogrep "-l: only what matches" $TMP/out 'sys_enter_read|^BEGIN'
run_ply $TMP/out $TMP/err -l -v 'sched:sched_process_fork'
expect_grep "-l -v: the fields with their C types" $TMP/out '^	pid_t child_pid;$'
expect_nogrep "-l -v: no common_ fields" $TMP/out 'common_'
run_ply $TMP/out $TMP/err -l 'rawtracepoint:sched_switch'
expect_eq "-l: a raw tracepoint from BTF" "$(cat $TMP/out)" "rawtracepoint:sched_switch"
run_ply $TMP/out $TMP/err -l -v 'rawtracepoint:sched_switch'
expect_grep "-l -v: a raw tracepoint's typed arguments" $TMP/out '^	struct task_struct \* next;$'
run_ply $TMP/out $TMP/err -l
expect_grep "-l: the forms" $TMP/out '^interval:N\[m\|s\|ms\|us\|ns\]$'
expect_grep "-l: BEGIN" $TMP/out '^BEGIN$'
if [ -e /sys/bus/event_source/devices/kprobe/type ]; then
	expect_grep "-l: kprobes" $TMP/out '^kprobe:vfs_read$'
else
	expect_nogrep "-l: no kprobes on a kernel without" $TMP/out '^kprobe:'
fi
run_ply $TMP/out $TMP/err -l -v 'fentry:vfs_read'
if [ -s $TMP/out ]; then
	expect_grep "-l -v: fentry, with typed arguments" $TMP/out '^	struct file \* file;$'
else
	echo "  skip -l fentry (this kernel has no fentry)"
fi
run_ply $TMP/out $TMP/err -l 'no_such_probe*'
expect_rc "-l: nothing matches: exit 1" 1

finish part4
