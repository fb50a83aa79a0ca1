/* metrics: the /metrics endpoint and the textfile (see metrics.h).
 *
 * libmicrohttpd runs without a thread of its own, on its epoll fd, which
 * ply's loop watches with a timer for MHD's timeouts. So a scrape is
 * served between two rounds of events: the maps are read by the thread
 * that handles the events (the runtime's buffers are not shared with
 * another thread), tracing itself goes on in the kernel meanwhile, and
 * the ring buffer holds the events until the scrape is done. What a
 * client can take is bounded: CONN_LIMIT connections, each with
 * CONN_MEMORY of buffers (a request that doesn't fit is refused) and one
 * response, closed after CONN_TIMEOUT seconds without progress. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#ifndef PLY_NO_HTTPD
#include <dlfcn.h>
#include <microhttpd.h>

/* libmicrohttpd, and the TLS libraries it brings, are loaded only when
 * --metrics serves HTTP: a run without it maps none of them (ply's start
 * and its memory are the tracing's alone). Its functions are called
 * through these pointers, under their own names. */
#define MHD_SONAME	"libmicrohttpd.so.12"
#define MHD_FUNCS(X) X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_run) \
	X(MHD_get_timeout) X(MHD_get_daemon_info) X(MHD_queue_response) \
	X(MHD_destroy_response) X(MHD_add_response_header) \
	X(MHD_lookup_connection_value) \
	X(MHD_create_response_from_buffer_with_free_callback)

static struct {
#define MHD_PTR(f) __typeof__(f) *p_##f;
	MHD_FUNCS(MHD_PTR)
#undef MHD_PTR
} mhd_lib;

#define MHD_start_daemon	mhd_lib.p_MHD_start_daemon
#define MHD_stop_daemon		mhd_lib.p_MHD_stop_daemon
#define MHD_run			mhd_lib.p_MHD_run
#define MHD_get_timeout		mhd_lib.p_MHD_get_timeout
#define MHD_get_daemon_info	mhd_lib.p_MHD_get_daemon_info
#define MHD_queue_response	mhd_lib.p_MHD_queue_response
#define MHD_destroy_response	mhd_lib.p_MHD_destroy_response
#define MHD_add_response_header	mhd_lib.p_MHD_add_response_header
#define MHD_lookup_connection_value mhd_lib.p_MHD_lookup_connection_value
#define MHD_create_response_from_buffer_with_free_callback \
	mhd_lib.p_MHD_create_response_from_buffer_with_free_callback

/* 0, or -1 with the loader's words in *why. Loaded once, kept. */
static int mhd_load(const char **why)
{
	static void *h;
	void *f;

	if (h)
		return 0;
	h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		*why = dlerror();
		return -1;
	}
#define MHD_SYM(fn)							\
	f = dlsym(h, #fn);						\
	if (!f) {							\
		*why = dlerror();					\
		dlclose(h);						\
		h = NULL;						\
		return -1;						\
	}								\
	memcpy(&mhd_lib.p_##fn, &f, sizeof(f));
	MHD_FUNCS(MHD_SYM)
#undef MHD_SYM
	return 0;
}
#else
struct MHD_Daemon;
#endif

#include "metrics.h"
#include "out.h"

#define CONN_LIMIT	16
#define CONN_TIMEOUT	10	/* seconds */
#define CONN_MEMORY	(16 * 1024)
#define LISTEN_BACKLOG	16

struct metrics {
	struct runtime *rt;
	const struct rt_spec *spec;
	FILE *err;
	const char *prog;	/* err's messages start with it (msg_print) */
	struct fmt_ctx fmt;	/* symbols loaded once, not per scrape */
	const struct mapsym **maps;	/* the exported ones */
	size_t nmaps;
	uint64_t *stat_buf;	/* rt_stats' arrays */
	uint64_t *entries;
	uint32_t *max_entries;
	const char **probes;

	struct MHD_Daemon *mhd;
	int mhd_fd;		/* MHD's epoll fd, watched */
	int mhd_timer;		/* timerfd: MHD's next timeout */

	const char *file;
	int file_timer;		/* timerfd: every interval */
	int file_failed;	/* reported once */
};

/* ---- one scrape ---- */

/* In the kernel's order: a scraper doesn't need them sorted, and sorting
 * was a sixth of a big map's scrape. */
static int maps_write(struct metrics *m, FILE *f, enum prom_format fmt)
{
	void *keys, *vals;
	size_t i, n;
	int err;

	for (i = 0; i < m->nmaps; i++) {
		err = runtime__map_read(m->rt, m->maps[i]->index, &keys,
					&vals, &n);
		if (err)
			return err;
		prom_map(f, &m->fmt, fmt, m->maps[i], keys, vals, n);
		m->entries[i] = n;
		free(keys);
		free(vals);
	}
	return 0;
}

static int self_write(struct metrics *m, FILE *f, enum prom_format fmt)
{
	size_t nm = m->spec->nmaps, np = m->spec->nprogs, i;
	struct rt_stats rs = {
		.map_dropped = m->stat_buf,
		.prog_missed = m->stat_buf + nm,
		.prog_skipped = m->stat_buf + nm + np,
		.read_failed = m->stat_buf + nm + 2 * np,
	};
	uint64_t *dropped = m->stat_buf + nm + 2 * np + m->spec->nreads;
	struct prom_self s = {
		.version = PLY_VERSION, .nmaps = m->nmaps, .maps = m->maps,
		.dropped = dropped, .entries = m->entries,
		.max_entries = m->max_entries, .nprobes = np,
		.probes = m->probes, .missed = rs.prog_missed,
		.skipped = rs.prog_skipped, .nreads = m->spec->nreads,
		.reads = (const struct readsite *const *)m->spec->reads,
		.failed = rs.read_failed,
	};
	int err = runtime__stats(m->rt, &rs);

	if (err)
		return err;
	for (i = 0; i < m->nmaps; i++)
		dropped[i] = rs.map_dropped[m->maps[i]->index];
	s.lost = rs.lost;
	s.malformed = rs.bad_events;
	s.scope_full = rs.scope_full;
	prom_self(f, fmt, &s);
	return 0;
}

int metrics_write(struct metrics *m, FILE *f, enum prom_format fmt)
{
	const struct fmt_ctx *rc = &runtime__out(m->rt)->fmt;
	int err;

	m->fmt.stack_resolve = rc->stack_resolve;
	m->fmt.stack_ctx = rc->stack_ctx;
	err = maps_write(m, f, fmt);
	if (!err)
		err = self_write(m, f, fmt);
	prom_end(f, fmt);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
	return err;
}

/* ---- the file: written whole beside it, then renamed over it ---- */

static int file_write(struct metrics *m)
{
	size_t len = strlen(m->file);
	char *tmp = malloc(len + 8);
	int fd, err = 0;
	FILE *f;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len + 8, "%s.XXXXXX", m->file);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		goto cleanup;
	}
	err = metrics_write(m, f, PROM_TEXT);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, m->file))
		err = -errno;
	if (err)
		unlink(tmp);
cleanup:
	if (err && !m->file_failed) {
		msg_print(m->err, m->prog, "error: cannot write the metrics "
			  "to %s: %s\n", m->file, strerror(-err));
		m->file_failed = 1;
	}
	free(tmp);
	return err;
}

static void on_file_timer(void *ctx)
{
	struct metrics *m = ctx;
	uint64_t n;

	if (read(m->file_timer, &n, sizeof(n)) == sizeof(n))
		file_write(m);
}

/* ---- the server ---- */

#ifdef PLY_NO_HTTPD
/* A build without libmicrohttpd (a static one: Debian has no static
 * p11-kit or libunistring for its gnutls): the file works, not the
 * server. */
static int server_start(struct metrics *m, const char *spec)
{
	msg_print(m->err, m->prog, "error: --metrics %s: this ply was built "
		  "without libmicrohttpd (PLY_NO_HTTPD); --metrics-file "
		  "works\n", spec);
	return -ENOTSUP;
}

static void server_stop(struct metrics *m)
{
}
#else

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code,
			       char *body, size_t len, const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn,
				    unsigned code, const char *text)
{
	char *body = strdup(text);

	return body ? respond(conn, code, body, strlen(body),
			      "text/plain; charset=utf-8") : MHD_NO;
}

/* OpenMetrics only for a scraper that asks for it (Prometheus does). */
static enum prom_format wanted_format(struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_ACCEPT);

	return accept && strstr(accept, "application/openmetrics-text") ?
		PROM_OPENMETRICS : PROM_TEXT;
}

/* Answered on the first call, before any body: a request that sends one
 * is answered and then closed, its body never read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct metrics *m = cls;
	enum prom_format fmt;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "GET /metrics\n");
	if (strcmp(url, "/metrics"))
		return respond_text(conn, MHD_HTTP_NOT_FOUND,
				    "ply serves /metrics\n");
	fmt = wanted_format(conn);
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	err = metrics_write(m, f, fmt);
	if (fclose(f) || err) {
		free(body);
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "ply could not read its maps\n");
	}
	return respond(conn, MHD_HTTP_OK, body, len,
		       fmt == PROM_OPENMETRICS ? PROM_CTYPE_OM :
		       PROM_CTYPE_TEXT);
}

/* MHD's next timeout (0: work is pending), as the timer. */
static void mhd_timer_arm(struct metrics *m)
{
	struct itimerspec its = { 0 };
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(m->mhd, &ms) != MHD_YES)
		ms = 1000;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1;
	timerfd_settime(m->mhd_timer, 0, &its, NULL);
}

static void on_mhd(void *ctx)
{
	struct metrics *m = ctx;
	uint64_t n;

	if (read(m->mhd_timer, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	MHD_run(m->mhd);
	mhd_timer_arm(m);
}

/* "HOST:PORT" or "[V6]:PORT", host required: ply binds only where it is
 * told. */
static int addr_parse(const struct metrics *m, const char *spec,
		      struct addrinfo **res)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	};
	const char *colon = strrchr(spec, ':');
	char host[256];
	size_t hl;
	int ret;

	if (!colon || colon == spec || !colon[1])
		goto bad;
	hl = colon - spec;
	if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']')
		spec++, hl -= 2;
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	ret = getaddrinfo(host, colon + 1, &hints, res);
	if (!ret)
		return 0;
	msg_print(m->err, m->prog, "error: --metrics %s: %s\n", spec,
		  gai_strerror(ret));
	return -EINVAL;
bad:
	msg_print(m->err, m->prog, "error: --metrics takes ADDR:PORT "
		  "(127.0.0.1:9470, [::1]:9470, 0.0.0.0:9470 for every "
		  "address), not '%s'\n", spec);
	return -EINVAL;
}

static int listen_on(const struct metrics *m, const char *spec, int *v6)
{
	struct addrinfo *ai;
	int fd, one = 1, ret;
	char host[NI_MAXHOST], port[NI_MAXSERV];
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);

	ret = addr_parse(m, spec, &ai);
	if (ret)
		return ret;
	*v6 = ai->ai_family == AF_INET6;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) ||
	    listen(fd, LISTEN_BACKLOG) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		ret = -errno;
		msg_print(m->err, m->prog, "error: --metrics %s: cannot "
			  "listen: %s\n", spec, strerror(-ret));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return ret;
	}
	freeaddrinfo(ai);
	if (!getnameinfo((struct sockaddr *)&sa, sl, host, sizeof(host), port,
			 sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV))
		msg_print(m->err, m->prog, "metrics at http://%s%s%s:%s/"
			  "metrics\n", *v6 ? "[" : "", host, *v6 ? "]" : "",
			  port);
	return fd;
}

static int server_start(struct metrics *m, const char *spec)
{
	const char *why = NULL;
	int fd, v6 = 0, err;

	if (mhd_load(&why)) {
		msg_print(m->err, m->prog, "error: --metrics %s: serving HTTP "
			  "needs libmicrohttpd (Debian's libmicrohttpd12), "
			  "which could not be loaded: %s\n", spec,
			  why ? why : "unknown error");
		return -ENOENT;
	}
	fd = listen_on(m, spec, &v6);
	if (fd < 0)
		return fd;
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, on_request, m,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				  (size_t)CONN_MEMORY,
				  MHD_OPTION_END);
	if (!m->mhd) {
		close(fd);
		msg_print(m->err, m->prog, "error: --metrics %s: "
			  "libmicrohttpd could not start\n", spec);
		return -EIO;
	}
	m->mhd_fd = MHD_get_daemon_info(m->mhd,
		MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
	m->mhd_timer = timerfd_create(CLOCK_MONOTONIC,
				      TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->mhd_timer < 0)
		return -errno;
	err = runtime__watch(m->rt, m->mhd_fd, on_mhd, m);
	if (!err)
		err = runtime__watch(m->rt, m->mhd_timer, on_mhd, m);
	if (!err)
		mhd_timer_arm(m);
	return err;
}

static void server_stop(struct metrics *m)
{
	if (!m->mhd)
		return;
	runtime__unwatch(m->rt, m->mhd_fd);
	runtime__unwatch(m->rt, m->mhd_timer);
	MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
	close(m->mhd_timer);
	m->mhd_timer = -1;
}

#endif

static int file_start(struct metrics *m, unsigned interval)
{
	struct itimerspec its = { 0 };

	m->file_timer = timerfd_create(CLOCK_MONOTONIC,
				       TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->file_timer < 0)
		return -errno;
	its.it_value.tv_sec = interval;
	its.it_interval = its.it_value;
	if (timerfd_settime(m->file_timer, 0, &its, NULL))
		return -errno;
	if (file_write(m))
		return -EIO;
	return runtime__watch(m->rt, m->file_timer, on_file_timer, m);
}

/* ---- lifetime ---- */

static int maps_pick(struct metrics *m)
{
	const struct rt_spec *s = m->spec;
	size_t i, nm = s->nmaps, np = s->nprogs;
	char msg[512];

	m->maps = calloc(nm + 1, sizeof(*m->maps));
	m->entries = calloc(nm + 1, sizeof(*m->entries));
	m->max_entries = calloc(nm + 1, sizeof(*m->max_entries));
	m->stat_buf = calloc(2 * nm + 2 * np + s->nreads + 1,
			     sizeof(*m->stat_buf));
	m->probes = calloc(np + 1, sizeof(*m->probes));
	if (!m->maps || !m->entries || !m->max_entries || !m->stat_buf ||
	    !m->probes)
		return -ENOMEM;
	for (i = 0; i < nm; i++) {
		if (!prom_exported(s->maps[i]))
			continue;
		m->max_entries[m->nmaps] = s->maps[i]->max_entries ?
			s->maps[i]->max_entries :
			(s->map_size ? s->map_size : 4096);
		m->maps[m->nmaps++] = s->maps[i];
	}
	for (i = 0; i < np; i++)
		m->probes[i] = s->progs[i].name;
	if (prom_clash(m->maps, m->nmaps, msg, sizeof(msg))) {
		msg_print(m->err, m->prog, "error: --metrics: %s; rename "
			  "one\n", msg);
		return -EINVAL;
	}
	return 0;
}

static struct metrics *metrics_alloc(struct runtime *rt,
				     const struct rt_spec *spec, FILE *err)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->rt = rt;
	m->spec = spec;
	m->err = err ? err : stderr;
	m->mhd_fd = m->mhd_timer = m->file_timer = -1;
	fmt_ctx__init(&m->fmt);
	return m;
}

int metrics__new(struct metrics **out, struct runtime *rt,
		 const struct rt_spec *spec, const struct metrics_opts *o)
{
	struct metrics *m = metrics_alloc(rt, spec, o->err);
	int err;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->prog = o->prog;
	err = maps_pick(m);
	if (!err && o->addr)
		err = server_start(m, o->addr);
	if (!err && o->file) {
		m->file = o->file;
		err = file_start(m, o->interval ? o->interval : 15);
	}
	if (err) {
		metrics__free(m);
		return err;
	}
	*out = m;
	return 0;
}

int metrics__end(struct metrics *m)
{
	int err = 0;

	if (!m)
		return 0;
	server_stop(m);
	if (m->file && m->file_timer >= 0) {
		runtime__unwatch(m->rt, m->file_timer);
		close(m->file_timer);
		m->file_timer = -1;
		err = file_write(m);
	}
	return err;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	server_stop(m);
	if (m->file_timer >= 0) {
		runtime__unwatch(m->rt, m->file_timer);
		close(m->file_timer);
	}
	fmt_ctx__free(&m->fmt);
	free(m->maps);
	free(m->entries);
	free(m->max_entries);
	free(m->stat_buf);
	free(m->probes);
	free(m);
}

int metrics_write_once(struct runtime *rt, const struct rt_spec *spec,
		       FILE *f, enum prom_format fmt)
{
	struct metrics *m = metrics_alloc(rt, spec, NULL);
	int err;

	if (!m)
		return -ENOMEM;
	err = maps_pick(m);
	if (!err)
		err = metrics_write(m, f, fmt);
	metrics__free(m);
	return err;
}
