#!/usr/bin/env bash
# --metrics and --metrics-file: a known workload (benchload getcwd, copied under a
# name of this run's own) traced while the endpoint is scraped by hand, by
# hostile clients (a huge request, stalled connections, more connections
# than ply takes) and by Debian's real Prometheus, whose HTTP API must then
# give the exact counts, sums (count(), sum(), stats()) and histograms
# (quantize(), lhist()) whose buckets add up; a scope too small for the
# processes it should trace shows in ply_scope_full_total. Everything
# started here is stopped here. Without prometheus (and promtool) those
# parts are skipped, loudly: apt-get install prometheus.
. "$(dirname "$0")/lib.sh"

LOAD=$(dirname "$PLY")/test/helpers/benchload
W=$TMP/plym$$_$RANDOM
W=${W:0:${#TMP}+16}		# a comm is 15 characters
cp "$LOAD" "$W"
NAME=$(basename "$W")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

HAVE_PROM=1
command -v prometheus >/dev/null && command -v promtool >/dev/null || HAVE_PROM=0
skip() { echo "  skip $1 (prometheus and promtool are not installed: apt-get install prometheus)"; }

# http PORT REQUEST: the raw response (bash's /dev/tcp, no curl needed)
http() {
	local fd
	exec {fd}<>/dev/tcp/127.0.0.1/"$1" || return 1
	printf '%b' "$2" >&$fd
	timeout 10 cat <&$fd
	exec {fd}<&-
}
scrape() { http "$1" 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' | sed '1,/^\r$/d'; }
# value FILE SAMPLE: the value of the sample written exactly so
value() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

PROG="tracepoint:syscalls/sys_enter_getcwd /comm == \"$NAME\"/ {
	@calls[comm] = count(); @bytes[comm] = sum(data->size);
	@sizes = quantize(data->size); @st[comm] = stats(data->size);
	@lin = lhist(data->size, 0, 10000, 2500); }"
# The metrics are served from ply__load on, before the probes are
# attached: a canary of its own name, counted by the last probe, says when
# they all are.
WR=$TMP/plyr$$_$RANDOM
WR=${WR:0:${#TMP}+16}
cp "$LOAD" "$WR"
READY="tracepoint:syscalls/sys_enter_getcwd /comm == \"$(basename "$WR")\"/ { @ready = count(); }"

# Nothing listens unless asked; then only where asked.
sockets() { ls -l /proc/"$1"/fd 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9\n'; }
"$PLY" "$PROG" >$TMP/out0 2>$TMP/err0 </dev/null &
p0=$!; PIDS+=($p0)
sleep 1
expect_eq "without --metrics: no socket" "$(sockets $p0 | wc -l)" 0
expect_nogrep "without --metrics: libmicrohttpd is not loaded" /proc/$p0/maps 'libmicrohttpd'
kill $p0; wait $p0

# start_ply ARGS...: ply in the background, its port in $PORT
start_ply() {
	local i
	: >$TMP/err
	"$PLY" "$@" >$TMP/out 2>$TMP/err </dev/null &
	PLYPID=$!; PIDS+=($PLYPID)
	for i in $(seq 100); do
		PORT=$(sed -n 's|^ply: metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' $TMP/err)
		[ -n "$PORT" ] && break
		sleep 0.1
	done
	for i in $(seq 100); do
		"$WR" getcwd 1
		scrape "$PORT" | grep -q '^ply_ready_total [1-9]' && return 0
		sleep 0.1
	done
	return 1
}
start_ply --metrics 127.0.0.1:0 "$PROG $READY" &&
	ok "--metrics 127.0.0.1:0: says where" ||
	nok "--metrics 127.0.0.1:0: says where" "$(cat $TMP/err)"
inode=$(sockets $PLYPID | head -1)
expect_grep "--metrics: libmicrohttpd loaded to serve" /proc/$PLYPID/maps 'libmicrohttpd\.so\.12'
expect_grep "listens on 127.0.0.1 only" /proc/net/tcp \
	"^ *[0-9]+: 0100007F:$(printf '%04X' "$PORT") 00000000:0000 0A .* $inode "

# A known workload: 8000 calls, buffers of 64 to 8192 bytes, 1000 each.
"$W" getcwd 8000
scrape $PORT >$TMP/s1
expect_eq "scrape: exact count" "$(value $TMP/s1 "ply_calls_total{comm=\"$NAME\"}")" 8000
expect_eq "scrape: exact sum" "$(value $TMP/s1 "ply_bytes_total{comm=\"$NAME\"}")" $((1000 * (64 + 128 + 256 + 512 + 1024 + 2048 + 4096 + 8192)))
expect_eq "scrape: histogram buckets are cumulative" \
	"$(grep '^ply_sizes_bucket' $TMP/s1 | awk '{ printf "%s ", $2 }')" \
	"1000 2000 3000 4000 5000 6000 7000 8000 8000 "
expect_eq "scrape: histogram count" "$(value $TMP/s1 ply_sizes_count)" 8000
expect_grep "scrape: le bounds are inclusive" $TMP/s1 '^ply_sizes_bucket\{le="127"\} 1000$'
# the buckets keep no values: no _sum rather than an estimate (from the
# buckets' middles: 24476000, half as much again as the 16320000 read)
expect_nogrep "scrape: quantize() has no estimated _sum" $TMP/s1 '^ply_sizes_sum'
expect_eq "scrape: stats() is a summary" "$(grep '^# TYPE ply_st ' $TMP/s1)" "# TYPE ply_st summary"
expect_eq "scrape: stats() exact sum" "$(value $TMP/s1 "ply_st_sum{comm=\"$NAME\"}")" $((1000 * (64 + 128 + 256 + 512 + 1024 + 2048 + 4096 + 8192)))
expect_eq "scrape: stats() exact count" "$(value $TMP/s1 "ply_st_count{comm=\"$NAME\"}")" 8000
# lhist(0, 10000, 2500): below 0, [0, 2500) (64 ... 2048), [2500, 5000)
# (4096), [5000, 7500), [7500, 10000) (8192), at or above 10000
expect_eq "scrape: lhist() every bucket, le its largest value, cumulative" \
	"$(grep '^ply_lin_bucket' $TMP/s1 | awk '{ printf "%s ", $0 }')" \
	"ply_lin_bucket{le=\"-1\"} 0 ply_lin_bucket{le=\"2499\"} 6000 ply_lin_bucket{le=\"4999\"} 7000 ply_lin_bucket{le=\"7499\"} 7000 ply_lin_bucket{le=\"9999\"} 8000 ply_lin_bucket{le=\"+Inf\"} 8000 "
expect_eq "scrape: lhist() count" "$(value $TMP/s1 ply_lin_count)" 8000
expect_grep "scrape: the scope's loss counter" $TMP/s1 '^ply_scope_full_total 0$'
expect_grep "scrape: ply's own counters" $TMP/s1 '^ply_events_lost_total 0$'
expect_grep "scrape: a map's fill" $TMP/s1 '^ply_map_max_entries\{map="@calls"\} 4096$'
http $PORT 'GET /metrics HTTP/1.0\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n' >$TMP/om
expect_grep "OpenMetrics when asked" $TMP/om '^Content-Type: application/openmetrics-text'
expect_eq "OpenMetrics ends with # EOF" "$(tail -1 $TMP/om)" "# EOF"
expect_grep "OpenMetrics: a summary" $TMP/om '^# TYPE ply_st summary'
expect_grep "OpenMetrics: stats() sum" $TMP/om "^ply_st_sum\\{comm=\"$NAME\"\\} 16320000"
expect_grep "OpenMetrics: quantize() count" $TMP/om '^ply_sizes_count 8000$'
expect_nogrep "OpenMetrics: quantize() has no _sum" $TMP/om '^ply_sizes_sum'
http $PORT 'GET / HTTP/1.0\r\n\r\n' >$TMP/r404
expect_grep "another path: 404" $TMP/r404 '^HTTP/1.[01] 404'
http $PORT 'POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello' >$TMP/r405
expect_grep "another method: 405" $TMP/r405 '^HTTP/1.[01] 405'
if [ $HAVE_PROM = 1 ]; then
	promtool check metrics <$TMP/s1 >$TMP/promtool 2>&1 &&
		ok "promtool check metrics accepts it" ||
		nok "promtool check metrics accepts it" "$(cat $TMP/promtool)"
else
	skip "promtool check metrics"
fi

# Prometheus itself, scraping every second.
PROMPID=
if [ $HAVE_PROM = 1 ]; then
	for try in 1 2 3; do
		PPORT=$((20000 + RANDOM % 30000))
		(exec 3<>/dev/tcp/127.0.0.1/$PPORT) 2>/dev/null && continue
		cat >$TMP/prom.yml <<-EOF
		global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
		scrape_configs:
		  - job_name: ply
		    static_configs: [ { targets: [ "127.0.0.1:$PORT" ] } ]
		EOF
		prometheus --config.file=$TMP/prom.yml --storage.tsdb.path=$TMP/tsdb \
			--web.listen-address=127.0.0.1:$PPORT >$TMP/prom.log 2>&1 &
		PROMPID=$!; PIDS+=($PROMPID)
		for i in $(seq 100); do
			http $PPORT 'GET /-/ready HTTP/1.0\r\n\r\n' 2>/dev/null | grep -q '^HTTP/1.[01] 200' && break
			kill -0 $PROMPID 2>/dev/null || break
			sleep 0.2
		done
		kill -0 $PROMPID 2>/dev/null && break
		PROMPID=
	done
	[ -n "$PROMPID" ] && ok "prometheus started" ||
		nok "prometheus started" "$(tail -5 $TMP/prom.log)"
fi

# promql QUERY: the value of the first result, from the HTTP API
promql() {
	http $PPORT "GET /api/v1/query?query=$1 HTTP/1.0\r\n\r\n" 2>/dev/null |
		sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p' | head -1
}
# prom_wait QUERY WANT: until Prometheus has scraped it (at most 20 s)
prom_wait() {
	local i got
	for i in $(seq 100); do
		got=$(promql "$1")
		[ "$got" = "$2" ] && break
		sleep 0.2
	done
	echo "$got"
}

# Hostile clients while the workload runs again: more connections than
# ply takes (16), two of them stalled in the middle of a request, and a
# request with a megabyte of headers. Tracing stays exact and ply's memory
# stays bounded.
rss() { awk '/^VmRSS/ { print $2 }' /proc/$PLYPID/status; }
rss0=$(rss)
HOLD=()
for i in $(seq 40); do
	exec {fd}<>/dev/tcp/127.0.0.1/$PORT && HOLD+=($fd)
done
for fd in "${HOLD[@]:0:2}"; do printf 'GET /metr' >&$fd; done
( head -c 1048576 /dev/zero | tr '\0' 'a' | sed 's/^/GET \/metrics HTTP\/1.0\r\nX-Big: /' |
	timeout 15 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; timeout 5 cat <&3" ) \
	>$TMP/big 2>/dev/null &
BIG=$!; PIDS+=($BIG)
"$W" getcwd 8000
kill -0 $PLYPID 2>/dev/null && ok "hostile clients: ply runs on" ||
	nok "hostile clients: ply runs on" "$(cat $TMP/err)"
wait $BIG
expect_nogrep "huge request: never answered 200" $TMP/big '^HTTP/1.[01] 200'
for fd in "${HOLD[@]}"; do exec {fd}<&-; done
rss1=$(rss)
[ $((rss1 - rss0)) -lt 8192 ] && ok "hostile clients: memory bounded (+$((rss1 - rss0)) kB)" ||
	nok "hostile clients: memory bounded" "VmRSS $rss0 kB, then $rss1 kB"
for i in $(seq 50); do scrape $PORT >$TMP/s2; [ -s $TMP/s2 ] && break; sleep 0.2; done
expect_eq "after the hostile clients: scraped, exact" \
	"$(value $TMP/s2 "ply_calls_total{comm=\"$NAME\"}")" 16000

if [ -n "$PROMPID" ]; then
	expect_eq "prometheus: exact count" "$(prom_wait "ply_calls_total" 16000)" 16000
	expect_eq "prometheus: exact sum" "$(prom_wait "ply_bytes_total" 32640000)" 32640000
	expect_eq "prometheus: histogram count" "$(prom_wait "ply_sizes_count" 16000)" 16000
	got=
	for le in 127 255 511 1023 2047 4095 8191 16383 +Inf; do
		got="$got $(promql "ply_sizes_bucket%7Ble=%22${le/+/%2B}%22%7D")"
	done
	expect_eq "prometheus: histogram buckets add up" "$got" \
		" 2000 4000 6000 8000 10000 12000 14000 16000 16000"
	expect_eq "prometheus: the buckets' sum is the count" \
		"$(promql "sum(ply_sizes_bucket%7Ble=%22%2BInf%22%7D)-sum(ply_sizes_count)")" 0
	expect_eq "prometheus: ply's own metrics" "$(promql "ply_events_lost_total")" 0
	expect_eq "prometheus: stats() count" "$(prom_wait "ply_st_count" 16000)" 16000
	expect_eq "prometheus: stats() sum" "$(prom_wait "ply_st_sum" 32640000)" 32640000
	got=
	for le in -1 2499 4999 7499 9999 +Inf; do
		got="$got $(promql "ply_lin_bucket%7Ble=%22${le/+/%2B}%22%7D")"
	done
	expect_eq "prometheus: lhist() buckets" "$got" " 0 12000 14000 14000 16000 16000"
	expect_eq "prometheus: lhist() count" "$(promql "ply_lin_count")" 16000
	expect_eq "prometheus: the scope's loss counter" "$(promql "ply_scope_full_total")" 0
	kill $PROMPID; wait $PROMPID
	rc=$?
	[ $rc = 0 ] && ok "prometheus stopped" || nok "prometheus stopped" "exit $rc"
else
	skip "prometheus scrapes ply"
fi

kill -TERM $PLYPID; wait $PLYPID
rc=$?
expect_rc "ply stopped by SIGTERM: exit 0" 0
expect_grep "ply's own output: the exact count" $TMP/out "^\{ $NAME \}: 16000$"

# The textfile: written at once, every second, and at the end; atomically
# (nothing beside it is left).
run_ply $TMP/out $TMP/err --metrics-file $TMP/ply.prom --metrics-interval 1 \
	-c "$W getcwd 800 2" "$PROG"
expect_rc "--metrics-file: exit 0" 0
expect_grep "--metrics-file: the end's exact count" $TMP/ply.prom \
	"^ply_calls_total\\{comm=\"$NAME\"\\} 800$"
expect_eq "--metrics-file: nothing left beside it" "$(ls $TMP | grep -c '^ply\.prom\.')" 0
if [ $HAVE_PROM = 1 ]; then
	promtool check metrics <$TMP/ply.prom >$TMP/promtool 2>&1 &&
		ok "--metrics-file: promtool accepts it" ||
		nok "--metrics-file: promtool accepts it" "$(cat $TMP/promtool)"
fi

# A scope with room for one process (-M 1): the command's two children are
# not traced, and ply_scope_full_total says so, as ply's own report does.
run_ply $TMP/out $TMP/err -M 1 -F --metrics-file $TMP/scope.prom \
	-c "sh -c '$W getcwd 1 & $W getcwd 1 & wait'" "$PROG"
expect_rc "a full scope: exit 0" 0
expect_grep "a full scope: reported" $TMP/err \
	'^ply: the scope is full: 2 processes not traced \(max_entries 1, see -M\)$'
expect_grep "a full scope: ply_scope_full_total" $TMP/scope.prom '^ply_scope_full_total 2$'
if [ $HAVE_PROM = 1 ]; then
	promtool check metrics <$TMP/scope.prom >$TMP/promtool 2>&1 &&
		ok "a full scope: promtool accepts it" ||
		nok "a full scope: promtool accepts it" "$(cat $TMP/promtool)"
fi

# A process name made of a quote, a backslash and a byte that is not
# UTF-8 (and this run's number): a label value Prometheus takes, ply's own
# text of the name.
ID=$(printf '%05d' $(($$ % 100000)))
W2="$TMP/"$'q"b\\\xff'"$ID"
cp "$LOAD" "$W2"
"$PLY" --metrics 127.0.0.1:0 -c "'$W2' getcwd 8 3" \
	'tracepoint:syscalls/sys_enter_getcwd { @w[comm] = count(); }' \
	>$TMP/out 2>$TMP/err </dev/null &
PLYPID=$!; PIDS+=($PLYPID)
for i in $(seq 100); do
	PORT=$(sed -n 's|^ply: metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' $TMP/err)
	[ -n "$PORT" ] && break; sleep 0.1
done
sleep 1
scrape $PORT >$TMP/s3
expect_grep "a name of any bytes: escaped" $TMP/s3 \
	'^ply_w_total\{comm="q\\"b\\\\\\\\\\\\xff'"$ID"'"\} 8$'
if [ $HAVE_PROM = 1 ]; then
	promtool check metrics <$TMP/s3 >$TMP/promtool 2>&1 &&
		ok "a name of any bytes: promtool accepts it" ||
		nok "a name of any bytes: promtool accepts it" "$(cat $TMP/promtool)"
fi
wait $PLYPID

# Mistakes.
run_ply $TMP/out $TMP/err --metrics 9470 'BEGIN { exit(0); }'
expect_rc "--metrics without an address: exit 1" 1
expect_grep "--metrics without an address: says so" $TMP/err 'takes ADDR:PORT'
run_ply $TMP/out $TMP/err --metrics 127.0.0.1:$PORT -c true 'BEGIN { @events_lost = count(); }'
expect_grep "a map named like ply's own metric: refused" $TMP/err \
	"map @events_lost would give the metric ply_events_lost_total, which is ply's own"

finish metrics
