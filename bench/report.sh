# bench/report.sh: turns the raw numbers bench/run gathered ($RAW: one
# "case tool run metric value" line per number) into the Markdown table
# and the JSON file. Sourced by bench/run, which sets the variables used.

declare -A MED MIN MAX CNT
TARGET_ROWS=()

# Median, minimum, maximum and count per case, tool and metric.
report_summarize() {
	local k n med lo hi
	while IFS=$'\t' read -r k n med lo hi; do
		CNT[$k]=$n MED[$k]=$med MIN[$k]=$lo MAX[$k]=$hi
	done < <(awk -F'\t' '$4 != "status" { print $1 "|" $2 "|" $4 "\t" $5 }' "$RAW" |
		sort -t$'\t' -k1,1 -k2,2g |
		awk -F'\t' '
		function flush() {
			if (key == "") return
			m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s\t%d\t%s\t%s\t%s\n", key, n, m, v[1], v[n]
		}
		$1 != key { flush(); key = $1; n = 0 }
		{ v[++n] = $2 }
		END { flush() }')
}

have() { [ -n "${MED[$1]:-}" ]; }
thou() { sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta' <<<"$1"; }	# 1000000 -> 1,000,000
# fmt KIND VALUE: ms, ms2 (two decimals), mib (from KiB), ns, int, x (ratio)
fmt() {
	[ -z "$2" ] && { echo "–"; return; }
	case $1 in
	ms) awk -v v="$2" 'BEGIN { printf "%.1f ms", v / 1e6 }' ;;
	ms2) awk -v v="$2" 'BEGIN { printf "%.2f ms", v / 1e6 }' ;;
	mib) awk -v v="$2" 'BEGIN { printf "%.1f MiB", v / 1024 }' ;;
	mb) awk -v v="$2" 'BEGIN { printf "%.1f MiB", v / 1048576 }' ;;
	ns) awk -v v="$2" 'BEGIN { printf "%.0f ns", v }' ;;
	ns1) awk -v v="$2" 'BEGIN { printf "%.1f ns", v }' ;;
	int) thou "$(awk -v v="$2" 'BEGIN { printf "%.0f", v }')" ;;
	x) awk -v v="$2" 'BEGIN { printf "%.2f×", v }' ;;
	esac
}
# med_cell KEY KIND: "median (min–max)"
med_cell() {
	have "$1" || { echo "–"; return; }
	if [ "${CNT[$1]}" -gt 1 ]; then
		echo "$(fmt "$2" "${MED[$1]}") ($(fmt "$2" "${MIN[$1]}")–$(fmt "$2" "${MAX[$1]}"))"
	else
		fmt "$2" "${MED[$1]}"
	fi
}
# ratio KEY_A KEY_B: median of A over median of B
ratio() {
	have "$1" && have "$2" || { echo ""; return; }
	awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN { if (b == 0) print ""; else printf "%.3f", a / b }'
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# target NAME PLY_CELL PEER_CELL VALUE GOAL_TEXT LIMIT
# VALUE empty: not measured (a peer missing).
target() {
	local verdict
	if [ -z "$4" ]; then verdict="n/a (not measured)"
	elif le "$4" "$6"; then verdict="met"
	else verdict="**missed**"; fi
	TARGET_ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"$'\t'"$verdict")
	echo "| $1 | $2 | $3 | ${4:-–} | $5 | $verdict |"
}

tool_name() {
	case $1 in
	ply) echo "ply" ;;
	bpftrace) echo "bpftrace" ;;
	ref) echo "reference (libbpf, clang)" ;;
	strace) echo "strace" ;;
	none) echo "untraced" ;;
	*) echo "$1" ;;
	esac
}

report_targets() {
	local v p k
	echo "## Targets"
	echo
	echo "| target | ply | peer | measure: ply ÷ peer, or ply's value | goal | verdict |"
	echo "|---|---|---|---|---|---|"
	target "start-up (-c true, count by comm)" "$(fmt ms "${MED[startup|ply|wall_ns]:-}")" \
		"bpftrace $(fmt ms "${MED[startup|bpftrace|wall_ns]:-}")" \
		"$(ratio 'startup|ply|wall_ns' 'startup|bpftrace|wall_ns')" "≤ 1/15 (0.067)" 0.0667
	target "peak RSS at start-up" "$(fmt mib "${MED[startup|ply|maxrss_kb]:-}")" \
		"bpftrace $(fmt mib "${MED[startup|bpftrace|maxrss_kb]:-}")" \
		"$(ratio 'startup|ply|maxrss_kb' 'startup|bpftrace|maxrss_kb')" "≤ 1/25 (0.040)" 0.04
	v=$(have 'compile|ply|wall_ns' && awk -v v="${MED[compile|ply|wall_ns]}" 'BEGIN { printf "%.2f", v / 1e6 }')
	target "compile only (ply -e), ms" "$(fmt ms2 "${MED[compile|ply|wall_ns]:-}")" \
		"bpftrace ${BT_DRY[0]} $(fmt ms "${MED[compile|bpftrace|wall_ns]:-}")" "$v" "≤ 5 ms" 5
	for p in $KC_PROCS; do
		k="kcost$p"
		local who="1 process"
		[ "$p" -gt 1 ] && who="$p processes, one per CPU"
		target "in-kernel ns per event, $who, vs bpftrace" \
			"$(fmt ns1 "${MED[$k|ply|ns_per_run]:-}")" "bpftrace $(fmt ns1 "${MED[$k|bpftrace|ns_per_run]:-}")" \
			"$(ratio "$k|ply|ns_per_run" "$k|bpftrace|ns_per_run")" "≤ 1.0" 1.0
		target "in-kernel ns per event, $who, vs the reference" \
			"$(fmt ns1 "${MED[$k|ply|ns_per_run]:-}")" "reference $(fmt ns1 "${MED[$k|ref|ns_per_run]:-}")" \
			"$(ratio "$k|ply|ns_per_run" "$k|ref|ns_per_run")" "≤ 1.1" 1.1
	done
	v=$(scope_added inside)
	target "scope check, a process in the scope: ns added per event" "$(fmt ns1 "$v")" "–" "$v" "≤ 50 ns" 50
	v=$(scope_added outside)
	target "scope check, a process outside it: ns added per event" "$(fmt ns1 "$v")" "–" "$v" "≤ 50 ns" 50
	v=$(added ply-stream)
	target "streaming every event: ns added per call" "$(fmt ns "$v")" \
		"reference $(fmt ns "$(added ref-stream)")" "$v" "≤ 2000 ns" 2000
	target "fdpath of every open: in-kernel ns per event vs the reference" \
		"$(fmt ns1 "${MED[paths|ply|ns_per_run]:-}")" "reference $(fmt ns1 "${MED[paths|ref|ns_per_run]:-}")" \
		"$(ratio 'paths|ply|ns_per_run' 'paths|ref|ns_per_run')" "≤ 1.2" 1.2
	v=$(have 'paths|ply|ns_per_call' && have 'paths|ref|ns_per_call' && have 'paths|none|ns_per_call' &&
		awk -v p="${MED[paths|ply|ns_per_call]}" -v r="${MED[paths|ref|ns_per_call]}" -v n="${MED[paths|none|ns_per_call]}" \
			'BEGIN { if (r - n > 0) printf "%.3f", (p - n) / (r - n) }')
	target "fdpath of every open: ns added per call vs the reference" \
		"$(fmt ns "$(paths_added ply)")" "reference $(fmt ns "$(paths_added ref)")" "$v" "≤ 1.2" 1.2
	v=$(stream_missing ply-stream)
	target "streaming every event: events missing (worst run)" "$(fmt int "$v")" \
		"of $(fmt int "${MED[overhead|ply-stream|calls]:-}")" "$v" "0" 0
	echo
}

# added CFG: median ns per call under CFG minus untraced
added() {
	have "overhead|$1|ns_per_call" && have "overhead|none|ns_per_call" || return
	awk -v a="${MED[overhead|$1|ns_per_call]}" -v b="${MED[overhead|none|ns_per_call]}" \
		'BEGIN { printf "%.0f", a - b }'
}
# paths_added TOOL: median ns per call in case 5 minus untraced
paths_added() {
	have "paths|$1|ns_per_call" && have "paths|none|ns_per_call" || return
	awk -v a="${MED[paths|$1|ns_per_call]}" -v b="${MED[paths|none|ns_per_call]}" \
		'BEGIN { printf "%.0f", a - b }'
}
# stream_missing CFG: the most events any run did not deliver
stream_missing() {
	have "overhead|$1|delivered" || return
	awk -v c="${MED[overhead|$1|calls]}" -v d="${MIN[overhead|$1|delivered]}" 'BEGIN { print c - d }'
}

report_startup() {
	local t
	echo "## 1. Start-up and compile-only"
	echo
	echo "Wall time from fork() to exit (driver.c, wait4), count by comm on"
	echo "\`syscalls/sys_enter_openat\`, \`-c /usr/bin/true\`. *Attached* is the time until"
	echo "a \`-c\` command that stamps the clock starts (the probes are in by then);"
	echo "*tear-down* is the rest, until the tracer has exited."
	echo
	echo "| tool | start-up | × ply | attached after | tear-down | compile only | × ply |"
	echo "|---|---|---|---|---|---|---|"
	for t in $TRACERS_ALL; do
		have "startup|$t|wall_ns" || have "compile|$t|wall_ns" || continue
		echo "| $(tool_name "$t") | $(med_cell "startup|$t|wall_ns" ms) | $(fmt x "$(ratio "startup|$t|wall_ns" startup\|ply\|wall_ns)") | $(med_cell "attach|$t|attach_ns" ms) | $(med_cell "attach|$t|teardown_ns" ms) | $(med_cell "compile|$t|wall_ns" ms2) | $(fmt x "$(ratio "compile|$t|wall_ns" compile\|ply\|wall_ns)") |"
	done
	echo
	echo "With path walks (ply only: its peers have no path of a file in a tracepoint): \`fdpath()\` of every open, one walk, $(med_cell "startup_path|ply|wall_ns" ms); \`opentrace -c true\`, about ten walks, $(med_cell "startup_opentrace|ply|wall_ns" ms)."
	echo
	echo "Compile only: \`ply -e\`; bpftrace \`${BT_DRY[0]}\`$([ "${BT_DRY[0]}" = --emit-elf ] && echo " (this bpftrace has no --dry-run: --emit-elf parses, compiles with LLVM and writes the ELF, attaching nothing)"); the reference is compiled ahead of time by clang and has no such step."
	echo
}

report_memory() {
	local t c
	echo "## 2. Memory"
	echo
	echo "Peak RSS (wait4's ru_maxrss: the largest of the tracer and what it waited for)."
	echo
	echo "| tool | start-up | × ply | compile only | streaming ${CALLS_H} opens | × ply |"
	echo "|---|---|---|---|---|---|"
	for t in $TRACERS_ALL; do
		have "startup|$t|maxrss_kb" || continue
		echo "| $(tool_name "$t") | $(med_cell "startup|$t|maxrss_kb" mib) | $(fmt x "$(ratio "startup|$t|maxrss_kb" startup\|ply\|maxrss_kb)") | $(med_cell "compile|$t|maxrss_kb" mib) | $(med_cell "overhead|$t-stream|maxrss_kb" mib) | $(fmt x "$(ratio "overhead|$t-stream|maxrss_kb" overhead\|ply-stream\|maxrss_kb)") |"
	done
	have "overhead|strace|maxrss_kb" &&
		echo "| strace | – | – | – | $(med_cell "overhead|strace|maxrss_kb" mib) | $(fmt x "$(ratio overhead\|strace\|maxrss_kb overhead\|ply-stream\|maxrss_kb)") |"
	echo
	echo "Size on disk: the executable (for the reference, also its .bpf.o) and every shared library it loads."
	echo
	echo "| tool | executable | libraries | total | × ply |"
	echo "|---|---|---|---|---|"
	for t in ply bpftrace ref strace; do
		have "size|$t|total_bytes" || continue
		echo "| $(tool_name "$t") | $(fmt mb "${MED[size|$t|exe_bytes]}") | $(fmt mb "${MED[size|$t|lib_bytes]}") in ${MED[size|$t|libs]} | $(fmt mb "${MED[size|$t|total_bytes]}") | $(fmt x "$(ratio "size|$t|total_bytes" size\|ply\|total_bytes)") |"
	done
	echo
}

report_kcost() {
	local p t k
	echo "## 3. In-kernel cost per event"
	echo
	echo "\`kernel.bpf_stats_enabled=1\`; each tracer's program found by the program ids its"
	echo "process holds (progstat.c), run_time_ns ÷ run_cnt over a workload of ${CALLS_H} getppid()"
	echo "per process, count by comm on \`syscalls/sys_enter_getppid\`. The reference is"
	echo "bench/ref/count.bpf.c (per-CPU hash, plain add). *Counted* is what the tracer's"
	echo "map said for benchload (must be the number of calls)."
	echo
	echo "| processes | tool | ns per event | × ply | × reference | counted | getppid() loop, ns per call |"
	echo "|---|---|---|---|---|---|---|"
	for p in $KC_PROCS; do
		k="kcost$p"
		for t in $TRACERS_ALL; do
			have "$k|$t|ns_per_run" || continue
			echo "| $p | $(tool_name "$t") | $(med_cell "$k|$t|ns_per_run" ns1) | $(fmt x "$(ratio "$k|$t|ns_per_run" "$k|ply|ns_per_run")") | $(fmt x "$(ratio "$k|$t|ns_per_run" "$k|ref|ns_per_run")") | $(fmt int "${MED[$k|$t|counted]:-}") | $(fmt ns1 "$(have "$k|$t|loop_ns" && awk -v v="${MED[$k|$t|loop_ns]}" -v n="$CALLS" 'BEGIN { print v / n }')") |"
		done
	done
	echo
}

# The scope's check: what it adds per event in the kernel.
scope_added() { # CFG: inside minus unscoped; outside minus an empty program
	local base=unscoped
	[ "$1" = outside ] && base=empty
	have "scope|$1|ns_per_run" && have "scope|$base|ns_per_run" || { echo ""; return; }
	awk -v a="${MED[scope|$1|ns_per_run]}" -v b="${MED[scope|$base|ns_per_run]}" 'BEGIN { printf "%.2f", a - b }'
}

report_scope() {
	local c
	echo "## 8. The scope's check"
	echo
	echo "\`kernel.bpf_stats_enabled=1\`; ns per run of ply's count by comm on"
	echo "\`syscalls/sys_enter_getppid\` over ${CALLS_H} getppid() from one process: unscoped,"
	echo "in the scope (\`-F -c\`: the tgid found in the scope map, then the count) and"
	echo "outside it (\`-n\` of a name no process has: the lookup misses, the program returns),"
	echo "and an empty program \`{ }\` (the floor of any run, the kernel's timing included)."
	echo "*Added*: in the scope, minus unscoped; outside, minus the empty program."
	echo
	echo "| scope | ns per event | added by the scope |"
	echo "|---|---|---|"
	for c in unscoped inside outside empty; do
		have "scope|$c|ns_per_run" || continue
		echo "| $c | $(med_cell "scope|$c|ns_per_run" ns1) | $(case $c in inside|outside) fmt ns1 "$(scope_added $c)" ;; *) echo – ;; esac) |"
	done
	echo
}

report_overhead() {
	local c t mode k
	echo "## 4. Added cost per traced openat()+close()"
	echo
	echo "benchload times its own loop of ${CALLS_H} openat()+close() (strace: ${STRACE_H});"
	echo "*added* is the median ns per call minus the untraced median. Streaming output"
	echo "goes to a file; *delivered* counts its lines for benchload's file (worst run),"
	echo "*lost* is what the tracer itself reported lost (worst run)."
	echo
	echo "| tracer | script | ns per call | added per call | × ply | delivered | lost | tracer wall |"
	echo "|---|---|---|---|---|---|---|---|"
	for c in $OVERHEAD_CFGS; do
		k="overhead|$c"
		have "$k|ns_per_call" || continue
		t=${c%-*} mode=${c##*-}
		case $c in none) mode="–" ;; strace) mode="-f -e trace=openat -o /dev/null" ;;
			*-count) mode="@[comm] = count()" ;; *-stream) mode="printf comm, str(filename)" ;; esac
		local px=""
		[[ $c == *-count || $c == *-stream ]] &&
			px=$(awk -v a="$(added "$c")" -v b="$(added "ply-${c##*-}")" 'BEGIN { if (a != "" && b > 0) printf "%.2f×", a / b; else print "–" }')
		[ "$c" = strace ] && px=$(awk -v a="$(added strace)" -v b="$(added ply-stream)" 'BEGIN { if (a != "" && b > 0) printf "%.2f× ply-stream", a / b; else print "–" }')
		echo "| $(tool_name "$t") | $mode | $(med_cell "$k|ns_per_call" ns) | $(fmt ns "$(added "$c")") | ${px:-–} | $(have "$k|delivered" && echo "$(fmt int "${MIN[$k|delivered]}") of $(fmt int "${MED[$k|calls]}")" || echo –) | $(have "$k|lost_reported" && fmt int "${MAX[$k|lost_reported]}" || echo –) | $(med_cell "$k|wall_ns" ms) |"
	done
	echo
}

report_paths() {
	local t k
	echo "## 5. Absolute paths: fdpath() of every opened file"
	echo
	echo "\`tracepoint:syscalls/sys_exit_openat /data->ret >= 0/ { printf(\"%s %s\\n\", comm, fdpath(data->ret)); }\`"
	echo "while benchload opens a file 10 components deep ${CALLS_H} times. The reference is"
	echo "bench/ref/paths.bpf.c: the same walk by hand (CO-RE offsets, the same block reads, a"
	echo "per-CPU buffer, ring buffer reserve/submit). *ns per event* is run_time_ns ÷ run_cnt"
	echo "(every open on the machine, as in case 3); *added* is benchload's ns per call minus"
	echo "untraced; *delivered* counts the lines with benchload's path as the kernel has it."
	echo
	echo "| tool | ns per event | × reference | ns per call | added per call | × reference | delivered | lost |"
	echo "|---|---|---|---|---|---|---|---|"
	for t in none ply ref; do
		k="paths|$t"
		have "$k|ns_per_call" || continue
		echo "| $(tool_name "$t") | $(med_cell "$k|ns_per_run" ns1) | $(fmt x "$(ratio "$k|ns_per_run" "paths|ref|ns_per_run")") | $(med_cell "$k|ns_per_call" ns) | $([ $t = none ] && echo – || fmt ns "$(paths_added $t)") | $([ $t = none ] && echo – || awk -v a="$(paths_added $t)" -v b="$(paths_added ref)" 'BEGIN { if (a != "" && b > 0) printf "%.2f×", a / b; else print "–" }') | $(have "$k|delivered" && echo "$(fmt int "${MIN[$k|delivered]}") of $(fmt int "${MED[$k|calls]}")" || echo –) | $(have "$k|lost_reported" && fmt int "${MAX[$k|lost_reported]}" || echo –) |"
	done
	echo
}

report_metrics() {
	local c
	echo "## 7. Metrics (--metrics)"
	echo
	echo "A scrape of \`/metrics\` (wall time of the whole HTTP exchange, from bash) while"
	echo "ply holds one count() map of 10,000 keys (and its own metrics); and benchload's"
	echo "$(thou $((CALLS * 5))) openat()+close() under count by comm, without and with"
	echo "\`--metrics\` and a scrape every second, interleaved."
	echo
	echo "| measure | median (min–max) |"
	echo "|---|---|"
	echo "| scrape of 10,000 keys | $(med_cell "scrape10k|ply|scrape_ns" ms2) |"
	echo "| its size | $(fmt mb "${MED[scrape10k|ply|bytes]:-}") |"
	for c in ply-count ply-count-scraped; do
		echo "| ns per call, $c | $(med_cell "metrics|$c|ns_per_call" ns1) |"
	done
	echo "| scraped ÷ not scraped | $(fmt x "$(ratio metrics\|ply-count-scraped\|ns_per_call metrics\|ply-count\|ns_per_call)") |"
	echo
}

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

report_json() {
	local first=1 c t r m v k n med lo hi row
	{
		echo "{"
		echo "  \"meta\": {"
		echo "    \"date\": $(json_str "$META_DATE"), \"mode\": $(json_str "$([ $QUICK = 1 ] && echo quick || echo full)"),"
		echo "    \"runs\": $RUNS, \"calls\": $CALLS, \"strace_calls\": $STRACE_CALLS, \"elapsed_s\": $ELAPSED,"
		echo "    \"kernel\": $(json_str "$META_KERNEL"), \"cpu\": $(json_str "$META_CPU"), \"nproc\": $NCPU, \"memory\": $(json_str "$META_MEM"),"
		echo "    \"ply\": $(json_str "$META_PLY"), \"bpftrace\": $(json_str "$META_BT"), \"strace\": $(json_str "$META_STRACE"),"
		echo "    \"clang\": $(json_str "$META_CLANG"), \"libbpf\": $(json_str "$META_LIBBPF"), \"notes\": $(json_str "${BT_NOTE:-}")"
		echo "  },"
		echo "  \"targets\": ["
		first=1
		for row in "${TARGET_ROWS[@]}"; do
			IFS=$'\t' read -r c t r m v k <<<"$row"
			[ $first = 1 ] || echo ","
			first=0
			printf '    {"target": %s, "ply": %s, "peer": %s, "value": %s, "goal": %s, "verdict": %s}' \
				"$(json_str "$c")" "$(json_str "$t")" "$(json_str "$r")" "$(json_str "$m")" \
				"$(json_str "$v")" "$(json_str "${k//\*/}")"
		done
		echo
		echo "  ],"
		echo "  \"summary\": ["
		first=1
		for k in $(printf '%s\n' "${!MED[@]}" | sort); do
			IFS='|' read -r c t m <<<"$k"
			[ $first = 1 ] || echo ","
			first=0
			printf '    {"case": "%s", "tool": "%s", "metric": "%s", "n": %s, "median": %s, "min": %s, "max": %s}' \
				"$c" "$t" "$m" "${CNT[$k]}" "${MED[$k]}" "${MIN[$k]}" "${MAX[$k]}"
		done
		echo
		echo "  ],"
		echo "  \"raw\": ["
		first=1
		while IFS=$'\t' read -r c t r m v; do
			[ $first = 1 ] || echo ","
			first=0
			printf '    {"case": "%s", "tool": "%s", "run": %s, "metric": "%s", "value": %s}' "$c" "$t" "$r" "$m" "$v"
		done <"$RAW"
		echo
		echo "  ]"
		echo "}"
	} >"$1"
}

report_write() {
	local md=$1 json=$2
	KC_PROCS="1"
	[ "$NCPU" -gt 1 ] && KC_PROCS="1 $NCPU"
	TRACERS_ALL="ply bpftrace ref"
	CALLS_H=$(thou "$CALLS")
	STRACE_H=$(thou "$STRACE_CALLS")
	report_summarize
	{
		echo "# ply bench: results"
		echo
		echo "$([ $QUICK = 1 ] && echo "Quick run (a smoke test: one run per case; the figures mean little)" || echo "Full run"):"
		echo "$RUNS run(s) per case, interleaved (ply, peer, ply, peer …); ${CALLS_H} calls per workload;"
		echo "medians with min–max in brackets; × is a median over ply's median. Written by \`bench/run\`"
		echo "on $META_DATE in ${ELAPSED} s. Raw numbers: \`$(basename "$json")\`."
		echo
		echo "- Machine: Linux $META_KERNEL, $META_CPU, $NCPU CPUs, $META_MEM"
		echo "- ply: $META_PLY; bpftrace: $META_BT; strace: $META_STRACE"
		echo "- reference: $META_CLANG, libbpf $META_LIBBPF"
		[ -n "${BT_NOTE:-}" ] && echo "- **$BT_NOTE**"
		echo
		report_targets
		report_startup
		report_memory
		report_kcost
		report_overhead
		report_paths
		echo "## 6. File tools"
		echo
		echo "None has landed in ply yet: nothing to set beside its peers."
		echo
		report_metrics
		report_scope
		echo "Why ply misses what it misses, measured: \`bench/results/analysis.md\`."
	} >"$md"
	report_json "$json"
}
