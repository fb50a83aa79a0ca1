/* fdtab: the watched processes' open files, paired with their closes (see
 * fdtab.h). Processes are in an open-addressing hash by tgid; each holds
 * its files in an array sorted by fd (a process has few watched files at
 * once, and most are closed soon after they are opened). */
#include <stdlib.h>
#include <string.h>

#include "fdtab.h"

const char *const fd_how_names[] = {
	[FD_CLOSE] = "close", [FD_EXIT] = "exit", [FD_EXEC] = "exec",
	[FD_DUP2] = "dup2", [FD_CLOSE_RANGE] = "close_range",
};

struct proc {
	uint32_t tgid;
	struct fd_file *f;	/* sorted by fd */
	size_t n, cap;
	/* as last seen, for the still-open files at the end */
	uint32_t tid, ppid;
	char comm[16];
};

struct fdtab {
	struct proc **slot;	/* NULL: empty */
	size_t nslots, nprocs, nfiles;
	fd_event_fn fn;
	void *ctx;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p && n)
		abort();
	return p;
}

/* ---- paths ---- */

static struct fd_path *path_new(const char *s, size_t len)
{
	struct fd_path *p = xrealloc(NULL, sizeof(*p) + len + 1);

	p->ref = 1;
	p->len = len;
	memcpy(p->s, s, len);
	p->s[len] = 0;
	return p;
}

static void path_put(struct fd_path *p)
{
	if (p && !--p->ref)
		free(p);
}

/* ---- processes ---- */

static size_t hash(uint32_t tgid, size_t nslots)
{
	return (tgid * 2654435761u) & (nslots - 1);
}

static struct proc **proc_slot(const struct fdtab *t, uint32_t tgid)
{
	size_t i;

	if (!t->nslots)
		return NULL;
	for (i = hash(tgid, t->nslots); t->slot[i];
	     i = (i + 1) & (t->nslots - 1))
		if (t->slot[i]->tgid == tgid)
			return &t->slot[i];
	return NULL;
}

static void slot_put(struct fdtab *t, struct proc *p)
{
	size_t i = hash(p->tgid, t->nslots);

	while (t->slot[i])
		i = (i + 1) & (t->nslots - 1);
	t->slot[i] = p;
}

static void grow(struct fdtab *t)
{
	struct proc **old = t->slot;
	size_t n = t->nslots, i;

	t->nslots = n ? n * 2 : 64;
	t->slot = xrealloc(NULL, t->nslots * sizeof(*t->slot));
	memset(t->slot, 0, t->nslots * sizeof(*t->slot));
	for (i = 0; i < n; i++)
		if (old[i])
			slot_put(t, old[i]);
	free(old);
}

static struct proc *proc_get(struct fdtab *t, uint32_t tgid)
{
	struct proc **s = proc_slot(t, tgid), *p;

	if (s)
		return *s;
	if ((t->nprocs + 1) * 4 > t->nslots * 3)
		grow(t);
	p = xrealloc(NULL, sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	slot_put(t, p);
	t->nprocs++;
	return p;
}

/* Take the process out (linear probing: the entries after it that would
 * not be found any more move back). */
static void proc_drop(struct fdtab *t, struct proc *p)
{
	struct proc **s = proc_slot(t, p->tgid);
	size_t i, j, h;

	if (!s)
		return;
	i = s - t->slot;
	t->slot[i] = NULL;
	for (j = (i + 1) & (t->nslots - 1); t->slot[j];
	     j = (j + 1) & (t->nslots - 1)) {
		h = hash(t->slot[j]->tgid, t->nslots);
		/* can the entry at j stay, with a hole at i? */
		if (i <= j ? (h > i && h <= j) : (h > i || h <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->slot[j] = NULL;
		i = j;
	}
	t->nprocs--;
	for (j = 0; j < p->n; j++)
		path_put(p->f[j].path);
	t->nfiles -= p->n;
	free(p->f);
	free(p);
}

static void proc_seen(struct proc *p, const struct fd_who *w)
{
	p->tid = w->tid;
	p->ppid = w->ppid;
	strncpy(p->comm, w->comm ? w->comm : "", sizeof(p->comm) - 1);
	p->comm[sizeof(p->comm) - 1] = 0;
}

/* The index of fd in p's files, or where it would go. */
static size_t file_find(const struct proc *p, int fd)
{
	size_t lo = 0, hi = p->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (p->f[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct fd_file *file_at(struct proc *p, int fd)
{
	size_t i = file_find(p, fd);

	return i < p->n && p->f[i].fd == fd ? &p->f[i] : NULL;
}

static void file_insert(struct fdtab *t, struct proc *p,
			const struct fd_file *f)
{
	size_t i = file_find(p, f->fd);

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->f = xrealloc(p->f, p->cap * sizeof(*p->f));
	}
	memmove(&p->f[i + 1], &p->f[i], (p->n - i) * sizeof(*p->f));
	p->f[i] = *f;
	p->n++;
	t->nfiles++;
}

static void file_remove(struct fdtab *t, struct proc *p, struct fd_file *f)
{
	size_t i = f - p->f;

	path_put(f->path);
	memmove(&p->f[i], &p->f[i + 1], (p->n - i - 1) * sizeof(*p->f));
	p->n--;
	t->nfiles--;
}

/* ---- reporting ---- */

static void report(struct fdtab *t, enum fd_event_kind k,
		   const struct fd_who *w, const struct fd_file *f,
		   enum fd_how how, const struct fd_file *prev)
{
	struct fd_event ev = { k, w, f, how, prev };

	t->fn(&ev, t->ctx);
}

static void close_file(struct fdtab *t, struct proc *p, struct fd_file *f,
		       const struct fd_who *w, enum fd_how how)
{
	report(t, FDEV_CLOSE, w, f, how, NULL);
	file_remove(t, p, f);
}

/* Close every file of p, in fd order. */
static void close_all(struct fdtab *t, struct proc *p, const struct fd_who *w,
		      enum fd_how how)
{
	while (p->n)
		close_file(t, p, &p->f[0], w, how);
}

/* ---- the events ---- */

struct fdtab *fdtab__new(fd_event_fn fn, void *ctx)
{
	struct fdtab *t = xrealloc(NULL, sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

void fdtab__free(struct fdtab *t)
{
	size_t i, j;

	if (!t)
		return;
	for (i = 0; i < t->nslots; i++) {
		if (!t->slot[i])
			continue;
		for (j = 0; j < t->slot[i]->n; j++)
			path_put(t->slot[i]->f[j].path);
		free(t->slot[i]->f);
		free(t->slot[i]);
	}
	free(t->slot);
	free(t);
}

void fdtab__open(struct fdtab *t, const struct fd_who *w, int fd,
		 uint64_t flags, const char *path, size_t len)
{
	struct proc *p = proc_get(t, w->pid);
	struct fd_file nf = { fd, path_new(path, len), flags,
			      !!(flags & FD_O_CLOEXEC), w->time, w->pid, 0 };
	struct fd_file *old = file_at(p, fd);

	proc_seen(p, w);
	if (old) {
		/* its close was not seen: said, and the new file takes the
		 * fd (its close will come) */
		report(t, FDEV_REOPENED, w, &nf, 0, old);
		file_remove(t, p, old);
	}
	file_insert(t, p, &nf);
	report(t, FDEV_OPEN, w, file_at(p, fd), 0, NULL);
}

static struct proc *proc_of(struct fdtab *t, const struct fd_who *w)
{
	struct proc **s = proc_slot(t, w->pid);

	if (!s)
		return NULL;
	proc_seen(*s, w);
	return *s;
}

int fdtab__reused(struct fdtab *t, const struct fd_who *w, int fd,
		  uint64_t flags, const char *path, size_t len)
{
	struct proc *p = proc_of(t, w);
	struct fd_file *old = p ? file_at(p, fd) : NULL;
	struct fd_file nf = { fd, NULL, flags, 0, w->time, w->pid, 0 };

	if (!old)
		return 0;
	nf.path = path_new(path, len);
	report(t, FDEV_REOPENED, w, &nf, 0, old);
	path_put(nf.path);
	file_remove(t, p, old);
	return 1;
}

static void close_fd(struct fdtab *t, const struct fd_who *w, int fd,
		     enum fd_how how)
{
	struct proc *p = proc_of(t, w);
	struct fd_file *f = p ? file_at(p, fd) : NULL;

	if (f)
		close_file(t, p, f, w, how);
}

void fdtab__close(struct fdtab *t, const struct fd_who *w, int fd)
{
	close_fd(t, w, fd, FD_CLOSE);
}

void fdtab__dup2(struct fdtab *t, const struct fd_who *w, int newfd)
{
	close_fd(t, w, newfd, FD_DUP2);
}

void fdtab__close_range(struct fdtab *t, const struct fd_who *w,
			unsigned lo, unsigned hi, unsigned flags)
{
	struct proc *p = proc_of(t, w);
	size_t i;

	if (!p || lo > hi)
		return;
	i = file_find(p, lo > 0x7fffffff ? 0x7fffffff : (int)lo);
	while (i < p->n && (unsigned)p->f[i].fd <= hi) {
		if (flags & FD_CLOSE_RANGE_CLOEXEC) {
			p->f[i++].cloexec = 1;
			continue;
		}
		close_file(t, p, &p->f[i], w, FD_CLOSE_RANGE);
	}
}

void fdtab__setfd(struct fdtab *t, const struct fd_who *w, int fd,
		  int cloexec)
{
	struct proc *p = proc_of(t, w);
	struct fd_file *f = p ? file_at(p, fd) : NULL;

	if (f)
		f->cloexec = !!cloexec;
}

void fdtab__exec(struct fdtab *t, const struct fd_who *w,
		 const uint8_t *open, size_t nbits)
{
	struct proc *p = proc_of(t, w);
	size_t i = 0;
	unsigned fd;

	if (!open)
		nbits = 0;
	while (p && i < p->n) {
		fd = p->f[i].fd;
		if (fd < nbits ? open[fd / 8] & 1u << fd % 8 :
				 !p->f[i].cloexec)
			i++;
		else
			close_file(t, p, &p->f[i], w, FD_EXEC);
	}
}

void fdtab__exit(struct fdtab *t, const struct fd_who *w)
{
	struct proc *p = proc_of(t, w);

	if (!p)
		return;
	close_all(t, p, w, FD_EXIT);
	proc_drop(t, p);
}

void fdtab__fork(struct fdtab *t, const struct fd_who *w, uint32_t child)
{
	struct proc *p = proc_of(t, w), *c;
	struct fd_file f;
	size_t i;

	if (!p || !p->n || child == w->pid)
		return;
	c = proc_get(t, child);
	p = *proc_slot(t, w->pid);	/* the hash may have grown */
	/* a pid used again: what the table had of the old one is gone */
	while (c->n)
		file_remove(t, c, &c->f[c->n - 1]);
	c->tid = child;
	c->ppid = w->pid;
	memcpy(c->comm, p->comm, sizeof(c->comm));
	for (i = 0; i < p->n; i++) {
		f = p->f[i];
		f.path->ref++;
		f.inherited = 1;
		file_insert(t, c, &f);
	}
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc *x = *(struct proc *const *)a;
	const struct proc *y = *(struct proc *const *)b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

void fdtab__finish(struct fdtab *t, int64_t now)
{
	struct proc **ps = xrealloc(NULL, (t->nprocs + 1) * sizeof(*ps));
	struct fd_who w;
	size_t i, n = 0, j;

	for (i = 0; i < t->nslots; i++)
		if (t->slot[i])
			ps[n++] = t->slot[i];
	qsort(ps, n, sizeof(*ps), cmp_proc);
	for (i = 0; i < n; i++) {
		w = (struct fd_who){ now, ps[i]->tgid, ps[i]->tid,
				     ps[i]->ppid, ps[i]->comm };
		for (j = 0; j < ps[i]->n; j++)
			report(t, FDEV_STILL_OPEN, &w, &ps[i]->f[j], 0, NULL);
		proc_drop(t, ps[i]);
	}
	free(ps);
}

size_t fdtab__fds(const struct fdtab *t, uint32_t pid, size_t at, int *fds,
		  size_t max)
{
	struct proc **s = proc_slot(t, pid);
	size_t n = 0;

	for (; s && at < (*s)->n && n < max; at++)
		fds[n++] = (*s)->f[at].fd;
	return n;
}

size_t fdtab__count(const struct fdtab *t)
{
	return t->nfiles;
}
