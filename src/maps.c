/* maps: the kernel maps of a program (its own, the ring buffer, stats,
 * zeros, stacks) and reading them back, summing per-CPU values. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/timerfd.h>


#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agg.h"
#include "prog.h"
#include "rt.h"

/* ---- maps ---- */

/* bpf object names: 15 characters of [A-Za-z0-9_.] */
void obj_name(char dst[BPF_OBJ_NAME_LEN], const char *prefix,
		     const char *name)
{
	size_t n = 0;

	for (; *prefix && n < BPF_OBJ_NAME_LEN - 1; prefix++)
		dst[n++] = *prefix;
	for (; *name && n < BPF_OBJ_NAME_LEN - 1; name++) {
		unsigned char c = *name;

		dst[n++] = isalnum(c) || c == '_' || c == '.' ? c : '_';
	}
	dst[n] = '\0';
}

static void map_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	if (!strcmp(name, "@"))
		name = "at";
	else if (name[0] == '@')
		name++;
	obj_name(dst, "ply_", name);
}

size_t map_ksize(const struct mapsym *m)
{
	return m->ktype ? m->ktype->size : sizeof(uint32_t);
}

uint32_t default_entries(const struct runtime *rt)
{
	return rt->spec.map_size ? rt->spec.map_size : MAP_DEFAULT_ENTRIES;
}

uint32_t map_entries(const struct runtime *rt, const struct mapsym *m)
{
	return m->max_entries ? m->max_entries : default_entries(rt);
}

static int map_create_fd(struct runtime *rt, const struct mapsym *m)
{
	enum bpf_map_type type = m->is_agg ? BPF_MAP_TYPE_PERCPU_HASH :
					     BPF_MAP_TYPE_HASH;
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	map_name(name, m->name);
	fd = bpf_map_create(type, name, map_ksize(m), m->vtype->size,
			    map_entries(rt, m), NULL);
	if (fd < 0)
		rt_msg(rt, "map %s: failed to create: %s\n",
		       m->name, strerror(-fd));
	return fd;
}

/* A map that print(@m); clear(@m); takes whole: two copies, and a map of
 * maps of one slot holding the one the programs update. */
static int map_create_swap(struct runtime *rt, size_t i)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = rt->map_fds[i]);
	const struct mapsym *m = rt->spec.maps[i];
	char name[BPF_OBJ_NAME_LEN];
	uint32_t zero = 0;
	int fd, err;

	if (!rt->outer_fds)
		rt->outer_fds = fds_new(rt->spec.nmaps);
	if (!rt->spare_fds)
		rt->spare_fds = fds_new(rt->spec.nmaps);
	if (!rt->outer_fds || !rt->spare_fds)
		return -ENOMEM;
	fd = map_create_fd(rt, m);
	if (fd < 0)
		return fd;
	rt->spare_fds[i] = fd;
	obj_name(name, "ply_mm_", m->name[0] == '@' ? m->name + 1 : m->name);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, name, sizeof(zero),
			    sizeof(uint32_t), 1, &opts);
	if (fd < 0) {
		rt_msg(rt, "map %s: failed to create its map of maps: "
		       "%s\n", m->name, strerror(-fd));
		return fd;
	}
	rt->outer_fds[i] = fd;
	err = bpf_map_update_elem(fd, &zero, &rt->map_fds[i], BPF_ANY);
	if (err)
		rt_msg(rt, "map %s: failed to fill its map of maps: "
		       "%s\n", m->name, strerror(-err));
	return err;
}

static int map_create_one(struct runtime *rt, size_t i)
{
	const struct mapsym *m = rt->spec.maps[i];
	int fd;

	if (!m->vtype || !m->vtype->size || !map_ksize(m)) {
		rt_msg(rt, "map %s: key or value has no size\n",
		       m->name);
		return -EINVAL;
	}
	fd = map_create_fd(rt, m);
	if (fd < 0)
		return fd;
	rt->map_fds[i] = fd;
	return m->swap ? map_create_swap(rt, i) : 0;
}

static size_t ringbuf_size(size_t want)
{
	size_t page = sysconf(_SC_PAGESIZE), sz = page;

	if (!want)
		want = RINGBUF_DEFAULT;
	while (sz < want)
		sz <<= 1;
	return sz;
}

static int prog_uses_map(const struct probe_prog *p, int32_t idx)
{
	size_t i;

	for (i = 0; i + 1 < p->ninsns; i++) {
		if (p->insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (p->insns[i].src_reg == BPF_PSEUDO_MAP_FD &&
		    p->insns[i].imm == idx)
			return 1;
		i++;
	}
	return 0;
}

static int progs_use_map(const struct runtime *rt, int32_t idx)
{
	size_t i;

	for (i = 0; i < rt->spec.nprogs; i++)
		if (prog_uses_map(&rt->spec.progs[i], idx))
			return 1;
	return 0;
}

/* One value of zeros as large as any key or value of the program's maps:
 * what an aggregation too big for the BPF stack starts from. The programs
 * may only read it (BPF_F_RDONLY_PROG), so it stays zero. */
static int zero_map_create(struct runtime *rt)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_RDONLY_PROG);
	size_t size = sizeof(uint64_t), i;
	const struct mapsym *m;
	int fd;

	if (!progs_use_map(rt, MAP_IDX_ZERO))
		return 0;
	for (i = 0; i < rt->spec.nmaps; i++) {
		m = rt->spec.maps[i];
		if (m->vtype && m->vtype->size > size)
			size = m->vtype->size;
		if (map_ksize(m) > size)
			size = map_ksize(m);
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ply_zero", sizeof(uint32_t),
			    ALIGN_UP(size, 8), 1, &opts);
	if (fd < 0) {
		rt_msg(rt, "failed to create the map of zeros (%zu "
		       "bytes): %s\n", ALIGN_UP(size, 8), strerror(-fd));
		return fd;
	}
	rt->zero_fd = fd;
	return 0;
}

/* The per-CPU buffer paths are built in (path.h). */
static int pathbuf_create(struct runtime *rt)
{
	int fd;

	if (!progs_use_map(rt, MAP_IDX_PATHBUF))
		return 0;
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ply_paths",
			    sizeof(uint32_t), PATH_BUF, 1, NULL);
	if (fd < 0) {
		rt_msg(rt, "failed to create the path buffer: %s\n",
		       strerror(-fd));
		return fd;
	}
	rt->pathbuf_fd = fd;
	return 0;
}

/* Frames of stack id, up to the first zero ip: the output's stack resolver
 * (struct fmt_ctx), for TF_STACK values. */
static int stack_resolve(void *ctx, int64_t id, uint64_t *ips, size_t max)
{
	struct runtime *rt = ctx;
	uint32_t key = (uint32_t)id;
	size_t n;
	int err;

	if (id < 0)	/* bpf_get_stackid failed: id is its -errno */
		return id < -4095 ? -EINVAL : (int)id;
	if (id > UINT32_MAX || rt->stack_fd < 0)
		return -ENOENT;
	err = bpf_map_lookup_elem(rt->stack_fd, &key, rt->stack_buf);
	if (err)
		return err;
	for (n = 0; n < max && n < rt->spec.stack_depth && rt->stack_buf[n];
	     n++)
		ips[n] = rt->stack_buf[n];
	return (int)n;
}

static int stack_map_create(struct runtime *rt)
{
	uint32_t depth = rt->spec.stack_depth;
	long max;
	int fd;

	if (!depth)
		return 0;
	rt->stack_buf = calloc(depth, sizeof(*rt->stack_buf));
	if (!rt->stack_buf)
		return -ENOMEM;
	fd = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "ply_stacks",
			    sizeof(uint32_t), depth * sizeof(uint64_t),
			    default_entries(rt), NULL);
	if (fd < 0) {
		max = sysctl_long("/proc/sys/kernel/perf_event_max_stack");
		if (max > 0 && depth > max)
			rt_msg(rt, "stacks of %" PRIu32 " frames are "
			       "more than this kernel keeps "
			       "(kernel.perf_event_max_stack = %ld)\n",
			       depth, max);
		else
			rt_msg(rt, "failed to create the stack map: "
			       "%s\n", strerror(-fd));
		return fd;
	}
	rt->stack_fd = fd;
	rt->out->fmt.stack_resolve = stack_resolve;
	rt->out->fmt.stack_ctx = rt;
	return 0;
}


/* Programs wake the loop only when the ring buffer is a quarter full;
 * a timer makes sure the rest is read every RINGBUF_POLL_MS. */
static int ringbuf_watch(struct runtime *rt)
{
	struct itimerspec its = { 0 };
	int err;

	rt->poll_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (rt->poll_fd < 0)
		return -errno;
	its.it_value.tv_nsec = RINGBUF_POLL_MS * 1000000L;
	its.it_interval = its.it_value;
	if (timerfd_settime(rt->poll_fd, 0, &its, NULL))
		return -errno;
	err = epoll_add(rt, ring_buffer__epoll_fd(rt->rb), TAG_RB);
	return err ? err : epoll_add(rt, rt->poll_fd, TAG_POLL);
}

int maps_create(struct runtime *rt)
{
	size_t i;
	int err;

	rt->rb_size = ringbuf_size(rt->spec.ringbuf_size);
	if (progs_use_map(rt, MAP_IDX_RINGBUF)) {
		rt->rb_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ply_events",
					   0, 0, rt->rb_size, NULL);
		if (rt->rb_fd < 0) {
			err = rt->rb_fd;
			rt_msg(rt, "failed to create the ring buffer: "
			       "%s\n", strerror(-err));
			return err;
		}
	}
	rt->stats_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ply_stats",
				      sizeof(uint32_t), sizeof(uint64_t),
				      stat_scope_slot(&rt->spec) + 1, NULL);
	if (rt->stats_fd < 0) {
		err = rt->stats_fd;
		rt_msg(rt, "failed to create the stats map: %s\n",
		       strerror(-err));
		return err;
	}
	for (i = 0; i < rt->spec.nmaps; i++) {
		err = map_create_one(rt, i);
		if (err)
			return err;
	}
	err = zero_map_create(rt);
	if (!err)
		err = stack_map_create(rt);
	if (!err)
		err = pathbuf_create(rt);
	if (err)
		return err;
	if (rt->rb_fd < 0)
		return 0;	/* the program sends no events */
	rt->rb = ring_buffer__new(rt->rb_fd, event_cb, rt, NULL);
	if (!rt->rb) {
		err = -errno;
		rt_msg(rt, "failed to map the ring buffer: %s\n",
		       strerror(-err));
		return err;
	}
	return ringbuf_watch(rt);
}


/* ---- maps, read back ---- */

struct map_buf {
	char *keys, *vals;
	size_t n, cap, ksize, vsize;
};

static int map_buf_push(struct map_buf *b, const void *key)
{
	char *k, *v;
	size_t cap;

	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 16;
		k = realloc(b->keys, cap * b->ksize);
		if (k)
			b->keys = k;
		v = realloc(b->vals, cap * b->vsize);
		if (v)
			b->vals = v;
		if (!k || !v)
			return -ENOMEM;
		b->cap = cap;
	}
	memcpy(b->keys + b->n * b->ksize, key, b->ksize);
	return 0;
}

/* A value as read (per CPU for an aggregation) into one value, as its
 * aggregation combines them. */
static void value_combine(const struct runtime *rt, const struct mapsym *m,
			  const char *raw, char *dst)
{
	size_t vsize = m->vtype->size;
	const struct agg_def *d = agg_of(m);

	if (d)
		d->combine(m, raw, ALIGN_UP(vsize, 8), rt->ncpus, dst);
	else
		memcpy(dst, raw, vsize);
}

static char *raw_alloc(const struct runtime *rt, const struct mapsym *m)
{
	return calloc(1, m->is_agg ? ALIGN_UP(m->vtype->size, 8) * rt->ncpus :
		      m->vtype->size);
}

static int map_ok(const struct runtime *rt, size_t i)
{
	return i < rt->spec.nmaps && rt->map_fds[i] >= 0;
}

/* Room for one entry of map i as the kernel holds it, or NULL and *err:
 * -EBADF (no such map), -ENOMEM. */
static char *map_raw(const struct runtime *rt, size_t i, int *err)
{
	char *raw;

	if (!map_ok(rt, i)) {
		*err = -EBADF;
		return NULL;
	}
	raw = raw_alloc(rt, rt->spec.maps[i]);
	if (!raw)
		*err = -ENOMEM;
	return raw;
}

int runtime__map_lookup(struct runtime *rt, size_t i, const void *key,
			void *val)
{
	uint32_t zero = 0;
	char *raw;
	int err;

	raw = map_raw(rt, i, &err);
	if (!raw)
		return err;
	err = bpf_map_lookup_elem(rt->map_fds[i], key ? key : &zero, raw);
	if (!err)
		value_combine(rt, rt->spec.maps[i], raw, val);
	free(raw);
	return err;
}

int runtime__map_update(struct runtime *rt, size_t i, const void *key,
			const void *val)
{
	const struct agg_def *d;
	const struct mapsym *m;
	uint32_t zero = 0;
	char *raw;
	int err;

	raw = map_raw(rt, i, &err);
	if (!raw)
		return err;
	m = rt->spec.maps[i];
	d = agg_of(m);
	if (d && d->split)
		d->split(m, val, raw);
	else
		memcpy(raw, val, m->vtype->size);
	err = bpf_map_update_elem(rt->map_fds[i], key ? key : &zero, raw,
				  BPF_ANY);
	free(raw);
	return err;
}

int runtime__map_delete(struct runtime *rt, size_t i, const void *key)
{
	uint32_t zero = 0;

	if (!map_ok(rt, i))
		return -EBADF;
	return bpf_map_delete_elem(rt->map_fds[i], key ? key : &zero);
}

/* Look key up and append it with its (summed) value; 1 if it was there. */
static int map_take(struct runtime *rt, size_t i, struct map_buf *b,
		    const void *key, char *raw)
{
	int err;

	err = bpf_map_lookup_elem(rt->map_fds[i], key, raw);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = map_buf_push(b, key);
	if (err)
		return err;
	value_combine(rt, rt->spec.maps[i], raw, b->vals + b->n * b->vsize);
	b->n++;
	return 1;
}

static int map_walk(struct runtime *rt, size_t i, struct map_buf *b, char *raw)
{
	const struct mapsym *m = rt->spec.maps[i];
	char *prev, *next, *tmp;
	uint32_t zero = 0;
	int err = 0, have_prev = 0;

	if (!m->ktype)
		return map_take(rt, i, b, &zero, raw) < 0 ? -EIO : 0;
	prev = malloc(b->ksize);
	next = malloc(b->ksize);
	if (!prev || !next) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* bounded: a map being updated meanwhile may restart the walk */
	while (b->n < map_entries(rt, m)) {
		err = bpf_map_get_next_key(rt->map_fds[i],
					   have_prev ? prev : NULL, next);
		if (err) {
			err = err == -ENOENT ? 0 : err;
			break;
		}
		err = map_take(rt, i, b, next, raw);
		if (err < 0)
			break;
		err = 0;
		tmp = prev, prev = next, next = tmp;
		have_prev = 1;
	}
cleanup:
	free(prev);
	free(next);
	return err;
}

int runtime__map_read(struct runtime *rt, size_t i, void **keys,
		      void **vals, size_t *n)
{
	const struct mapsym *m;
	struct map_buf b = { 0 };
	char *raw = NULL;
	int err;

	*keys = *vals = NULL;
	*n = 0;
	if (i >= rt->spec.nmaps || rt->map_fds[i] < 0)
		return -EINVAL;
	m = rt->spec.maps[i];
	b.ksize = map_ksize(m);
	b.vsize = m->vtype->size;
	raw = malloc(m->is_agg ? ALIGN_UP(b.vsize, 8) * rt->ncpus : b.vsize);
	err = raw ? map_walk(rt, i, &b, raw) : -ENOMEM;
	free(raw);
	if (err) {
		out_msg(rt->out, "map %s: failed to read: %s", m->name,
			strerror(-err));
		free(b.keys);
		free(b.vals);
		return err;
	}
	*keys = b.keys;
	*vals = b.vals;
	*n = b.n;
	return 0;
}

/* ---- the end ---- */

int map_show(struct runtime *rt, size_t i)
{
	void *keys, *vals;
	size_t n;
	int err;

	if (out_failed(rt->out))
		return 0;
	err = runtime__map_read(rt, i, &keys, &vals, &n);
	if (err)
		return err;
	out_map(rt->out, rt->spec.maps[i], keys, vals, n);
	free(keys);
	free(vals);
	return 0;
}

/* print(@m); clear(@m); without losing an update in between: put the empty
 * copy in the programs' slot, then print and clear the old one. Updating a
 * map of maps from user space returns only once every program that may
 * still hold the old map has finished (the kernel waits for an RCU grace
 * period), so nothing is added to it after it was read. */
int map_take_whole(struct runtime *rt, size_t i, map_show_fn show, void *ctx)
{
	const struct mapsym *m = rt->spec.maps[i];
	uint32_t zero = 0;
	int err, fd;

	if (!m->swap || !rt->outer_fds || rt->outer_fds[i] < 0) {
		err = show(rt, i, ctx);
		return err ? err : map_clear(rt, i);
	}
	err = bpf_map_update_elem(rt->outer_fds[i], &zero, &rt->spare_fds[i],
				  BPF_ANY);
	if (err) {
		out_msg(rt->out, "map %s: failed to swap in its empty copy: %s",
			m->name, strerror(-err));
		return err;
	}
	/* map_fds[i] is the old one until it is printed and cleared */
	err = show(rt, i, ctx);
	if (!err)
		err = map_clear(rt, i);
	fd = rt->map_fds[i];
	rt->map_fds[i] = rt->spare_fds[i];
	rt->spare_fds[i] = fd;
	return err;
}

/* Delete every key. The next key is found before the current one is
 * deleted, because after a delete the walk would start over; bounded in
 * case programs keep adding keys meanwhile. */
int map_clear(struct runtime *rt, size_t i)
{
	const struct mapsym *m = rt->spec.maps[i];
	size_t ksize = map_ksize(m), n, limit = 2 * (size_t)map_entries(rt, m);
	char *cur = NULL, *next = NULL, *tmp;
	int fd = rt->map_fds[i], err, more;
	uint32_t zero = 0;

	if (!m->ktype) {
		err = bpf_map_delete_elem(fd, &zero);
		err = err == -ENOENT ? 0 : err;
		goto cleanup;
	}
	cur = malloc(ksize);
	next = malloc(ksize);
	if (!cur || !next) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = bpf_map_get_next_key(fd, NULL, cur);
	for (n = 0; !err && n < limit; n++) {
		more = bpf_map_get_next_key(fd, cur, next);
		err = bpf_map_delete_elem(fd, cur);
		if (err == -ENOENT)
			err = 0;
		if (!err && more != -ENOENT)
			err = more;
		if (err || more)
			break;	/* ENOENT: that was the last */
		tmp = cur, cur = next, next = tmp;
	}
	if (err == -ENOENT)
		err = 0;
cleanup:
	if (err)
		out_msg(rt->out, "map %s: failed to clear: %s", m->name,
			strerror(-err));
	free(cur);
	free(next);
	return err;
}

