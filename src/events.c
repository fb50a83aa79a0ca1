/* events: ring-buffer records matched to their site and handed to the
 * output (or the front end's handler), exit(), print(@map) and clear(@map)
 * in event order; losses counted and reported through the output. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>


#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "out.h"
#include "rt.h"

/* ---- events ---- */

/* Warn once; the rest are counted and reported at the end. */
static void event_bad(struct runtime *rt, uint64_t id, size_t size, int known)
{
	struct out_report r = { .kind = OUT_BAD_EVENT, .site = id,
				.size = size, .known = known };

	if (rt->bad_events++)
		return;
	out_report(rt->out, &r);
}

static void event_exit(struct runtime *rt, const struct evsite *site,
		       const char *rec)
{
	const struct type *t = site->rec;
	int64_t code = 0;

	if (t && t->nfields > 1)
		memcpy(&code, rec + t->fields[1].offset, sizeof(code));
	if (!rt->have_exit) {
		rt->have_exit = 1;
		rt->exit_code = code;
		out_exit(rt->out, code);
	}
	rt->stop = 1;
}


struct map_event {
	const struct evsite *site;
	const void *rec;
	size_t size;
};

/* print(@map): printed, or handed to the front end's handler, which may
 * read the map (as it is now: before a clear that takes it whole) */
static int map_present(struct runtime *rt, size_t i, void *ctx)
{
	const struct map_event *e = ctx;

	if (!rt->handler)
		return map_show(rt, i);
	rt->handler(e->site, e->rec, e->size, rt->handler_ctx);
	return 0;
}

/* print(@map) and clear(@map), in order with the other events; done here
 * even when a handler takes the other events. */
static void event_map(struct runtime *rt, const struct evsite *site,
		      const void *rec, size_t size)
{
	struct map_event e = { site, rec, size };
	size_t i = (size_t)site->map;
	int err;

	if (site->map < 0 || i >= rt->spec.nmaps || rt->map_fds[i] < 0) {
		struct out_report r = { .kind = OUT_BAD_MAP, .site = site->id,
					.map_index = site->map };

		out_report(rt->out, &r);
		return;
	}
	if (site->kind == EV_PRINTMAP)
		err = site->take ? map_take_whole(rt, i, map_present, &e) :
				   map_present(rt, i, &e);
	else
		err = site->take ? 0 : map_clear(rt, i);
	if (err)
		rt->failed = 1;
}

/* The bytes an event of site must have: its record, or for print(@map)
 * and clear(@map), which may have none, the id. */
static size_t site_size(const struct evsite *site)
{
	if (site->rec)
		return site->rec->size;
	if (site->kind == EV_PRINTMAP || site->kind == EV_CLEAR)
		return sizeof(uint64_t);
	return SIZE_MAX;
}

static void event_handle(struct runtime *rt, const char *rec, size_t size)
{
	const struct evsite *site;
	uint64_t id;

	if (size < sizeof(id)) {
		event_bad(rt, 0, size, 1);
		return;
	}
	memcpy(&id, rec, sizeof(id));
	site = id < rt->spec.nsites ? rt->spec.sites[id] : NULL;
	if (!site || size < site_size(site)) {
		event_bad(rt, id, size, site != NULL);
		return;
	}
	if (site->kind == EV_EXIT)
		event_exit(rt, site, rec);
	if (site->kind == EV_CLEAR || site->kind == EV_PRINTMAP)
		event_map(rt, site, rec, size);
	else if (rt->handler)
		rt->handler(site, rec, size, rt->handler_ctx);
	else if (site->kind != EV_EXIT)
		out_event(rt->out, site, rec, size);
}

void runtime__event(struct runtime *rt, const void *rec, size_t size)
{
	event_handle(rt, rec, size);
}

/* Once output has failed (a reader gone, or a write interrupted by the
 * signal that stops ply), the events left are dropped: -ECANCELED ends the
 * ring buffer's consume early. */
int event_cb(void *ctx, void *data, size_t size)
{
	struct runtime *rt = ctx;

	if (out_failed(rt->out))
		return -ECANCELED;
	event_handle(rt, data, size);
	return 0;
}

int events_consume(struct runtime *rt)
{
	int n;

	if (!rt->rb)
		return 0;
	n = ring_buffer__consume(rt->rb);
	out_flush(rt->out);
	if (n == -ECANCELED)
		return 0;
	if (n < 0) {
		out_msg(rt->out, "failed to read events: %s", strerror(-n));
		return n;
	}
	return 0;
}

/* ---- stats ---- */

static uint64_t stat_read(struct runtime *rt, uint32_t key)
{
	uint64_t sum = 0;
	int cpu;

	if (rt->stats_fd < 0 ||
	    bpf_map_lookup_elem(rt->stats_fd, &key, rt->cpu_buf))
		return 0;
	for (cpu = 0; cpu < rt->ncpus; cpu++)
		sum += rt->cpu_buf[cpu];
	return sum;
}

/* Returns 1 if events were lost since the last report. */
int stats_report_lost(struct runtime *rt)
{
	uint64_t lost = stat_read(rt, STAT_LOST);
	struct out_report r = { .kind = OUT_LOST };

	if (lost <= rt->lost_reported)
		return 0;
	r.count = lost - rt->lost_reported;
	out_report(rt->out, &r);
	rt->lost_reported = lost;
	return 1;
}

/* Runs of program i that the kernel skipped, or 0. */
static uint64_t prog_missed(struct runtime *rt, size_t i)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	if (!rt->prog_fds || rt->prog_fds[i] < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(rt->prog_fds[i], &info, &len))
		return 0;
	return info.recursion_misses;
}

int runtime__stats(struct runtime *rt, struct rt_stats *st)
{
	size_t i;

	st->lost = stat_read(rt, STAT_LOST);
	st->bad_events = rt->bad_events;
	for (i = 0; i < rt->spec.nmaps; i++)
		st->map_dropped[i] = stat_read(rt, STAT_MAP_FULL + i);
	for (i = 0; i < rt->spec.nprogs; i++) {
		st->prog_missed[i] = prog_missed(rt, i);
		st->prog_skipped[i] = 0;
	}
	for (i = 0; i < rt->ntimers; i++)
		st->prog_skipped[rt->timers[i].prog] = rt->timers[i].skipped;
	for (i = 0; i < rt->spec.nreads; i++)
		st->read_failed[i] = stat_read(rt, STAT_MAP_FULL +
					       rt->spec.nmaps + i);
	st->scope_full = stat_read(rt, stat_scope_slot(&rt->spec)) +
			 scope_full(rt);
	return 0;
}

/* The kernel does not run a tracing program that fires while another BPF
 * program runs on the same CPU (it would recurse); it counts each time. */
static void misses_report(struct runtime *rt)
{
	struct out_report r = { .kind = OUT_MISSED };
	struct bpf_prog_info info;
	__u32 len;
	size_t i;

	for (i = 0; rt->prog_fds && i < rt->spec.nprogs; i++) {
		if (rt->prog_fds[i] < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(rt->prog_fds[i], &info, &len) ||
		    !info.recursion_misses)
			continue;
		r.probe = rt->spec.progs[i].name;
		r.count = info.recursion_misses;
		out_report(rt->out, &r);
	}
}

void stats_report(struct runtime *rt)
{
	struct out_report r;
	uint64_t dropped;
	size_t i;

	stats_report_lost(rt);
	for (i = 0; i < rt->spec.nmaps; i++) {
		dropped = stat_read(rt, STAT_MAP_FULL + i);
		if (!dropped)
			continue;
		r = (struct out_report){ .kind = OUT_MAP_FULL,
					 .map = rt->spec.maps[i],
					 .count = dropped };
		r.max_entries = map_entries(rt, r.map);
		out_report(rt->out, &r);
	}
	for (i = 0; i < rt->spec.nreads; i++) {
		dropped = stat_read(rt, STAT_MAP_FULL + rt->spec.nmaps + i);
		if (!dropped)
			continue;
		r = (struct out_report){ .kind = OUT_READ_FAILED,
					 .count = dropped };
		r.fn = rt->spec.reads[i]->fn;
		r.loc = rt->spec.reads[i]->loc;
		out_report(rt->out, &r);
	}
	dropped = stat_read(rt, stat_scope_slot(&rt->spec)) + scope_full(rt);
	if (dropped) {
		r = (struct out_report){ .kind = OUT_SCOPE_FULL,
					 .count = dropped };
		r.max_entries = default_entries(rt);
		out_report(rt->out, &r);
	}
	if (rt->bad_events > 1) {
		r = (struct out_report){ .kind = OUT_MALFORMED,
					 .count = rt->bad_events };
		out_report(rt->out, &r);
	}
	misses_report(rt);
	for (i = 0; i < rt->ntimers; i++) {
		if (!rt->timers[i].skipped)
			continue;
		r = (struct out_report){ .kind = OUT_SKIPPED,
					 .count = rt->timers[i].skipped };
		r.probe = rt->spec.progs[rt->timers[i].prog].name;
		out_report(rt->out, &r);
	}
}


int events_drain(struct runtime *rt)
{
	int n, rounds;

	/* a program still running on another CPU may commit late */
	for (rounds = 0; rounds < 8; rounds++) {
		n = ring_buffer__consume(rt->rb);
		if (n <= 0)
			break;
	}
	out_flush(rt->out);
	if (n == -ECANCELED)
		n = 0;
	if (n < 0)
		out_msg(rt->out, "failed to read events: %s", strerror(-n));
	return n < 0 ? n : 0;
}

