#!/usr/bin/env bash
# Tracepoint fields typed from their declared C type: a syscall's format
# gives every argument a u64 slot marked unsigned, yet off_t offset = -5
# must read as -5 and int dfd = AT_FDCWD must equal -100.
. "$(dirname "$0")/lib.sh"
SYSARGS=${PLYLOAD%/*}/sysargs

run_ply $TMP/out $TMP/err -c "$SYSARGS" '
tracepoint:syscalls/sys_enter_lseek /comm == "sysargs"/ {
	printf("lseek %d %d %v\n", data->offset, data->offset < 0, data->offset); }
tracepoint:syscalls/sys_enter_pread64 /comm == "sysargs"/ {
	printf("pread %d %d\n", data->pos, data->count); }
tracepoint:syscalls/sys_enter_openat /comm == "sysargs" && data->dfd == -100/ {
	printf("openat %d %s\n", data->dfd, str(data->filename)); }'
expect_rc "ply ran the helper" 0
expect_grep "off_t -5 is -5, and negative" $TMP/out '^lseek -5 1 -5$'
expect_grep "loff_t -7 is -7; size_t 1 is 1" $TMP/out '^pread -7 1$'
expect_grep "int dfd == -100 (AT_FDCWD) is true" $TMP/out '^openat -100 /nonexistent/ply-sysargs$'

finish tpargs
