#!/usr/bin/env python3
"""filemon's output against the ground truth ftree wrote down
(test/helpers/ftree.c), for test/e2e/filemon.sh. Prints the checks in
lib.sh's format ("  ok   NAME", "  FAIL NAME" and "    detail" lines).

  filemon.py check OUT DIR[:DIR...] COMM [--scope S] [--roles R,...] [-x] PREFIX...
      every line JSON; the start and end lines; exactly the tree's opens and
      closes under the PREFIXes, paired, each way of closing, durations
      within the tree's own clock brackets, nothing from the unrelated
      process (DIR/other); --roles: only the processes of those roles
      (--no-children); -x: the failed opens too, each an error line
  filemon.py summary OUT DIR PREFIX...
      the --summary objects: opens per path, total and longest time open
  filemon.py held OUT DIR T_STOP T_END
      the still_open line of `ftree hold`: its duration reaches from the
      open to between T_STOP and T_END (CLOCK_MONOTONIC)
  filemon.py lost OUT PATH N
      a run that lost events: N opens and closes of PATH, each delivered or
      within the count reported lost, and an error line saying so
  filemon.py unseen OUT DIR
      ftree fioclex: a close by exec of an fd made close-on-exec by
      ioctl(FIOCLEX) is the exec's, never another file's close
  filemon.py cfiles OUT DIR
      ftree cfiles: a close filemon sees as another process's (a CLONE_FILES
      sibling's) is said when the fd comes back (an error "reopened"), never
      taken for a later close of another file
  filemon.py strace STRACE_OUT DIR
      the ground truth itself against strace -f -e trace=open,openat,openat2:
      the same opens, thread for thread, fd for fd
"""
import collections
import json
import os
import re
import sys
import time

RES = time.clock_getres(time.CLOCK_MONOTONIC) * 1e9
results = []


def check(name, good, *details):
    results.append((name, bool(good), details))


def finish():
    for name, good, details in results:
        print(("  ok   " if good else "  FAIL ") + name)
        if not good:
            for d in details:
                for line in str(d).splitlines()[:20]:
                    print("    " + line)
    sys.exit(0 if all(g for _, g, _ in results) else 1)


def under(path, prefixes):
    for p in prefixes:
        p = p.rstrip(b"/")
        if p == b"" or path == p or path.startswith(p + b"/"):
            return True
    return False


# ---- the truth ----

class Truth:
    """What the trees of DIRS (DIR:DIR...) wrote down; the unrelated
    process is the first DIR's."""
    def __init__(self, dirs):
        self.roles = {}       # pid (tid for a thread) -> role
        self.closes = []      # one per end of an open
        self.held = []        # opens still open (hold)
        self.failed = []      # (pid, tid, errno, path)
        reaped, execs = {}, {}
        lines = []
        for d in dirs.split(":"):
            with open(os.path.join(d, "truth"), "rb") as f:
                lines += f.readlines()
        d = dirs.split(":")[0]
        for line in lines:
            w = line.split()
            kind = w[0].decode()
            if kind == "role":
                self.roles[int(w[2])] = w[1].decode()
            elif kind == "reaped":
                reaped[int(w[1])] = int(w[2])
            elif kind == "exec":
                execs[int(w[1])] = int(w[2])
            elif kind == "failed":
                self.failed.append((int(w[1]), int(w[2]), int(w[3]),
                                    bytes.fromhex(w[4].decode())))
            elif kind in ("close", "open"):
                r = dict(pid=int(w[1]), tid=int(w[2]), fd=int(w[3]),
                         how=w[4].decode(), via=w[5].decode(),
                         opid=int(w[6]), otid=int(w[7]), oppid=int(w[8]),
                         flags=int(w[9]), t0=int(w[10]), t1=int(w[11]),
                         t2=w[12].decode(), t3=w[13].decode(),
                         path=bytes.fromhex(w[14].decode()))
                (self.closes if kind == "close" else self.held).append(r)
        for r in self.closes:
            r["t2"] = int(r["t2"])
            t3 = r["t3"]
            r["t3"] = (reaped.get(r["pid"]) if t3 == "X" else
                       execs.get(r["pid"]) if t3 == "E" else int(t3))
            if r["t3"] is None:
                raise SystemExit("truth: no %s line for pid %d" %
                                 ("reaped" if t3 == "X" else "exec", r["pid"]))
        self.other = None
        try:
            with open(os.path.join(d, "other")) as f:
                pid, rounds = f.read().split()
                self.other = (int(pid), int(rounds))
        except FileNotFoundError:
            pass

    def role(self, r):
        return self.roles.get(r["tid"]) if self.roles.get(r["tid"]) == "T" \
            else self.roles.get(r["pid"], "?")

    def opens(self):
        """One per open(2): an inherited close shares its parent's."""
        seen = {}
        for r in self.closes:
            seen.setdefault((r["opid"], r["otid"], r["path"], r["fd"], r["t0"]), r)
        return list(seen.values())


def tkey(r):
    via = r["via"] if r["how"] == "inherited" else None
    opener = r["opid"] if r["how"] == "inherited" else None
    return (r["pid"], r["tid"], r["path"], r["fd"], r["how"], via, opener)


def okey(r):
    return (r["opid"], r["otid"], r["path"], r["fd"])


def bounds(r):
    return (r["t2"] - r["t1"] - RES, r["t3"] - r["t0"] + RES)


def show(k):
    """A key on one line: a path's bytes escaped as Python writes them."""
    return " ".join(repr(x)[2:-1] if isinstance(x, bytes) else str(x) for x in k)


# ---- filemon's output ----

def load(out):
    """Every line must be one JSON object; the path as bytes."""
    events, bad = [], []
    with open(out, "rb") as f:
        for n, line in enumerate(f, 1):
            try:
                e = json.loads(line.decode("utf-8"))
                if not isinstance(e, dict) or "event" not in e:
                    raise ValueError("not an event object")
                for k in ("path", "previous_path"):
                    if k in e:
                        e[k] = e[k].encode("utf-8", "surrogateescape")
                events.append(e)
            except (ValueError, UnicodeError) as x:
                bad.append("line %d: %s: %r" % (n, x, line[:200]))
    check("every line is one JSON object (%d lines)" % len(events) if not bad
          else "every line is one JSON object", events and not bad, *bad[:10])
    return events


def ekey(e):
    via = e.get("via") if e.get("how") == "inherited" else None
    opener = e.get("opener_pid") if e.get("how") == "inherited" else None
    return (e.get("pid"), e.get("tid"), e.get("path"), e.get("fd"),
            e.get("how"), via, opener)


def same(name, got, want):
    """Multisets: what is missing, what is extra."""
    g, w = collections.Counter(got), collections.Counter(want)
    miss, extra = w - g, g - w
    d = ["missing: " + show(k) for k in sorted(miss, key=str)[:10]] + \
        ["extra:   " + show(k) for k in sorted(extra, key=str)[:10]]
    check("%s (%d)" % (name, sum(w.values())), w and not miss and not extra, *d)


def start_end(events, prefixes, scope, failed, children):
    first, last = (events[0], events[-1]) if events else ({}, {})
    # a trailing slash is ignored
    want = ":".join(p.decode("utf-8", "surrogateescape").rstrip("/") or "/"
                    for p in prefixes)
    check("the first line is start, with the paths, children %s%s" %
          (str(children).lower(), " and the scope" if scope else ""),
          first.get("event") == "start" and
          ":".join(p.rstrip("/") or "/" for p in str(first.get("paths")).split(":")) == want and
          first.get("children") is children and
          (scope is None or first.get("scope") == scope),
          "got: %r" % first, "want paths %r scope %r" % (want, scope))
    n = collections.Counter(e["event"] for e in events if "still_open" not in e)
    held = sum(1 for e in events if e.get("still_open"))
    check("the last line is end: its counts are the lines', nothing lost",
          last.get("event") == "end" and last.get("opens") == n["open"] and
          last.get("closes") == n["close"] and last.get("still_open") == held and
          last.get("lost") == 0,
          "got: %r" % last, "lines: %d open, %d close, %d still_open" %
          (n["open"], n["close"], held))
    errors = [e for e in events if e["event"] == "error"]
    if failed is None:
        check("no error line", not errors, *[repr(e) for e in errors[:5]])
        return
    import errno
    same("-x: the failed opens (pid, tid, path made absolute, errno, its name)",
         [(e.get("error"), e.get("pid"), e.get("tid"), e.get("path"), e.get("errno"),
           e.get("errno_name")) for e in errors],
         [("open_failed", pid, tid, path, err, errno.errorcode[err])
          for pid, tid, err, path in failed])


def check_run(out, d, prefixes, scope, comm, roles, failed):
    t = Truth(d)
    events = load(out)
    if not events:
        return
    start_end(events, prefixes, scope,
              [f for f in t.failed if under(f[3], prefixes)] if failed else None,
              roles is None)
    # --no-children: the processes of those roles alone
    mine = (lambda r, pid: t.roles.get(pid) in roles) if roles else (lambda r, pid: True)
    closes = [r for r in t.closes if under(r["path"], prefixes) and mine(r, r["pid"])]
    opens = [r for r in t.opens() if under(r["path"], prefixes) and mine(r, r["opid"])]
    ev_c = [e for e in events if e["event"] == "close"]
    ev_o = [e for e in events if e["event"] == "open" and not e.get("still_open")]
    same("opens: exactly the tree's under the prefixes (pid, tid, path, fd)",
         [(e.get("pid"), e.get("tid"), e.get("path"), e.get("fd")) for e in ev_o],
         [okey(r) for r in opens])
    same("closes: exactly the tree's, each paired and said how (pid, tid, path, fd, how, via, opener)",
         [ekey(e) for e in ev_c], [tkey(r) for r in closes])
    outside = [e for e in events if "path" in e and not under(e["path"], prefixes)]
    check("no path outside the prefixes (the tree's /tmp files, the tools' own)",
          not outside, *[repr(e) for e in outside[:5]])
    if t.other:
        theirs = [e for e in events if e.get("pid") == t.other[0]]
        check("nothing of the unrelated process opening the same files (%d rounds)" %
              t.other[1], t.other[1] > 0 and not theirs, *[repr(e) for e in theirs[:5]])

    # Pairs: the i-th close of a key is the i-th in time.
    by_t = collections.defaultdict(list)
    for r in closes:
        by_t[tkey(r)].append(r)
    by_e = collections.defaultdict(list)
    for e in ev_c:
        by_e[ekey(e)].append(e)
    matched = {}
    for k, rs in by_t.items():
        rs.sort(key=lambda r: r["t0"])
        es = sorted(by_e.get(k, []), key=lambda e: e.get("time", 0) - e.get("duration_ns", 0))
        for r, e in zip(rs, es):
            matched[id(r)] = e
    bad = []
    for r in closes:
        e = matched.get(id(r))
        if e is None:
            continue
        lo, hi = bounds(r)
        dur = e.get("duration_ns")
        if not isinstance(dur, int) or not lo <= dur <= hi:
            bad.append("%s: duration_ns %r not in [%d, %d]" % (show(tkey(r)), dur, lo, hi))
    check("durations within the tree's clock (open and close bracketed, %g ns resolution)" % RES,
          matched and not bad, *bad[:10])

    # A close's time less its duration is its open's time.
    ev_open_t = collections.defaultdict(list)
    for e in ev_o:
        ev_open_t[(e.get("pid"), e.get("path"), e.get("fd"))].append(e.get("time"))
    bad = []
    for r in closes:
        e = matched.get(id(r))
        if e is None:
            continue
        ot = e.get("time", 0) - e.get("duration_ns", 0)
        if ot not in ev_open_t[(r["opid"], r["path"], r["fd"])]:
            bad.append("%s: time - duration_ns = %d, no such open line" % (show(tkey(r)), ot))
    check("every close's time less its duration is its open's time", not bad, *bad[:10])

    # The open lines' other fields, the i-th open of a key the i-th in time.
    ev_open = collections.defaultdict(list)
    for e in ev_o:
        ev_open[(e.get("pid"), e.get("tid"), e.get("path"), e.get("fd"))].append(e)
    by_o = collections.defaultdict(list)
    for r in opens:
        by_o[okey(r)].append(r)
    pairs = []
    for k, rs in by_o.items():
        rs.sort(key=lambda r: r["t0"])
        pairs += zip(rs, sorted(ev_open.get(k, []), key=lambda e: e.get("time", 0)))
    bad = [("%s: ppid %r, the tree saw %d" % (show(okey(r)), e.get("ppid"), r["oppid"]))
           for r, e in pairs if e.get("ppid") != r["oppid"]]
    check("every open's ppid is the one the process saw then", pairs and not bad, *bad[:10])
    bad = []
    for r, e in pairs:
        names = set(str(e.get("flags")).split("|"))
        want = {["O_RDONLY", "O_WRONLY", "O_RDWR"][r["flags"] & os.O_ACCMODE]}
        for f in ("O_CLOEXEC", "O_DIRECTORY", "O_CREAT", "O_TRUNC"):
            if r["flags"] & getattr(os, f):
                want.add(f)
        if names != want:
            bad.append("%s: flags %r, opened with %s" % (show(okey(r)), e.get("flags"),
                                                         "|".join(sorted(want))))
    check("flags named, as opened (an fcntl after it changes nothing)", pairs and not bad, *bad[:10])
    bad = [("%s: comm %r" % (show(okey(r)), e.get("comm"))) for r, e in pairs
           if e.get("comm") != comm]
    check("comm of every open: %s" % comm, pairs and not bad, *bad[:10])

    # Each process and each way of closing, said apart.
    thread_t0 = min([r["t0"] for r in closes if t.role(r) == "T"] or [0])
    cases = [
        ("the parent P", lambda r: t.role(r) == "P"),
        ("a file one thread opened and another closed: the closer's tid",
         lambda r: r["how"] == "close" and r["tid"] != r["otid"]),
        ("a file open across a thread's exit: closed after it, not by an exit",
         lambda r: t.role(r) == "C1" and r["how"] == "close" and r["otid"] == r["pid"] and
         r["t0"] < thread_t0),
        ("children started before filemon (C1, C2, C3)", lambda r: t.role(r) in ("C1", "C2", "C3")),
        ("children started after it attached (C4, C5)", lambda r: t.role(r) in ("C4", "C5")),
        ("a thread: its own tid", lambda r: t.role(r) == "T"),
        ("a grandchild (G)", lambda r: t.role(r) == "G"),
        ("a child reparented to init by a double fork (O)",
         lambda r: t.role(r) == "O" and r["oppid"] != r["pid"]),
        ("a name relative to the working directory: the absolute path",
         lambda r: t.role(r) == "O" and r["path"] == b"/etc/passwd"),
        ("openat with a directory fd, and the directory's own open",
         lambda r: t.role(r) == "G" and r["path"] in (b"/usr/lib", b"/usr/lib/os-release")),
        ("after an exec: the fd without O_CLOEXEC closed by the new image (X)",
         lambda r: t.role(r) == "X" and r["how"] == "close"),
        ("how exit: the process exited with the fd open", lambda r: r["how"] == "exit"),
        ("how exec: O_CLOEXEC, or made close-on-exec by fcntl or close_range",
         lambda r: r["how"] == "exec"),
        ("how exec: made close-on-exec after the open (fcntl, close_range)",
         lambda r: r["how"] == "exec" and not r["flags"] & os.O_CLOEXEC),
        ("after an exec: an fd whose O_CLOEXEC fcntl took off, closed by the new image",
         lambda r: t.role(r) == "X" and r["how"] == "close" and r["flags"] & os.O_CLOEXEC),
        ("how exit, by SIGKILL", lambda r: t.role(r) == "C3" and r["how"] == "exit"),
        ("the main thread exited first: the last thread's close, then its exit",
         lambda r: t.role(r) == "C5" and r["tid"] != r["pid"]),
        ("creat(2)", lambda r: r["flags"] & os.O_CREAT),
        ("how dup2: dup2 replaced the fd (its later close is no open's)",
         lambda r: r["how"] == "dup2"),
        ("how close_range", lambda r: r["how"] == "close_range"),
        ("how inherited via close: a child closed its parent's open",
         lambda r: r["how"] == "inherited" and r["via"] == "close"),
        ("how inherited via exit: a child exited with its parent's open",
         lambda r: r["how"] == "inherited" and r["via"] == "exit"),
        ("hostile names (newline, escape, a byte not UTF-8): the exact bytes back",
         lambda r: re.search(rb"[\n\x1b\x80-\xff]", r["path"])),
    ]
    for name, pred in cases:
        rs = [r for r in closes if pred(r)]
        if not rs:
            continue	# not under this run's prefixes
        bad = []
        for r in rs:
            e = matched.get(id(r))
            lo, hi = bounds(r)
            if e is None:
                bad.append("missing: " + show(tkey(r)))
            elif not lo <= e.get("duration_ns", -1) <= hi:
                bad.append("duration: " + show(tkey(r)))
        check("%s: %d closes" % (name, len(rs)), not bad, *bad[:10])


def check_summary(out, d, prefixes):
    t = Truth(d)
    events = load(out)
    closes = [r for r in t.closes if under(r["path"], prefixes)]
    want = collections.Counter(r["path"] for r in t.opens() if under(r["path"], prefixes))
    summ = [e for e in events if e["event"] == "summary"]
    got = collections.Counter()
    for e in summ:
        got[e.get("path")] += e.get("opens", 0)
    same("--summary: opens per path", [(p,) for p in got.elements()],
         [(p,) for p in want.elements()])
    bad = []
    for e in summ:
        rs = [r for r in closes if r["path"] == e.get("path")]
        own = [r for r in rs if r["how"] != "inherited"]
        lo = [bounds(r)[0] for r in own]
        hi = [bounds(r)[1] for r in rs]
        tot, mx = e.get("total_ns", -1), e.get("max_ns", -1)
        if not (lo and max(lo) <= mx <= max(hi) and sum(lo) <= tot <= sum(hi) and mx <= tot):
            bad.append("%r: total_ns %r max_ns %r, want max in [%d, %d], total in [%d, %d]" %
                       (e.get("path"), tot, mx, max(lo or [0]), max(hi or [0]),
                        sum(lo), sum(hi)))
        if "ftree" not in str(e.get("comms")).split(","):
            bad.append("%r: comms %r has no ftree" % (e.get("path"), e.get("comms")))
    check("--summary: total and longest time open within the tree's clock, by ftree",
          summ and not bad, *bad[:10])


def check_held(out, d, t_stop, t_end):
    t = Truth(d)
    events = load(out)
    held = [e for e in events if e["event"] == "open" and e.get("still_open")]
    want = [(r["opid"], r["otid"], r["path"], r["fd"]) for r in t.held]
    same("still_open: the file held open when filemon stopped",
         [(e.get("pid"), e.get("tid"), e.get("path"), e.get("fd")) for e in held], want)
    bad = []
    for r in t.held:
        for e in held:
            if (e.get("pid"), e.get("fd")) == (r["opid"], r["fd"]):
                lo, hi = t_stop - r["t1"] - RES, t_end - r["t0"] + RES
                if not lo <= e.get("duration_ns", -1) <= hi:
                    bad.append("duration_ns %r not in [%d, %d]" % (e.get("duration_ns"), lo, hi))
    check("still_open: its duration runs to the end", held and not bad, *bad)
    opens = [e for e in events if e["event"] == "open" and not e.get("still_open")]
    check("still_open: after its open line, no close", held and len(opens) == len(held) and
          not [e for e in events if e["event"] == "close"],
          *[repr(e) for e in events if e["event"] in ("open", "close")][:5])


def check_lost(out, path, n):
    """A reader too slow: what did not come is reported lost, never
    silent (a lost open takes its close with it)."""
    events = load(out)
    path = os.fsencode(path)
    opens = sum(1 for e in events if e["event"] == "open" and e.get("path") == path)
    closes = sum(1 for e in events if e["event"] == "close" and e.get("path") == path)
    lost = [e for e in events if e["event"] == "error" and e.get("error") == "lost"]
    end = events[-1] if events else {}
    told = end.get("lost", 0) if end.get("event") == "end" else 0
    check("a slow reader: events lost, each said (%d opens, %d closes of %d, %d lost)" %
          (opens, closes, n, told),
          lost and all(isinstance(e.get("count"), int) and e["count"] > 0 for e in lost) and
          told > 0 and opens <= n and closes <= n and n - opens <= told and n - closes <= told,
          "error lines: %r" % lost[:3], "end: %r" % end)


def check_unseen(out, d):
    """ftree fioclex: a close filemon does not follow (ioctl FIOCLEX, then
    exec) is the exec's, exactly (the exec's bitmap of open fds)."""
    t = Truth(d)
    events = load(out)
    f1 = next(r for r in t.closes if r["how"] == "exec")
    f2 = next(r for r in t.closes if r["how"] == "close")
    mine = [e for e in events if e.get("pid") == f1["pid"] and e.get("fd") == f1["fd"]]
    closes1 = [e for e in mine if e["event"] == "close" and e.get("path") == f1["path"]]
    errors = [e for e in events if e["event"] == "error"]
    lo, hi = bounds(f1)
    check("a close by exec of an fd made close-on-exec by ioctl(FIOCLEX): the exec's, "
          "with its duration; no error",
          len(closes1) == 1 and closes1[0].get("how") == "exec" and
          lo <= closes1[0].get("duration_ns", -1) <= hi and not errors,
          *[repr(e) for e in (mine + errors)[:6]])
    c2 = [e for e in mine if e["event"] == "close" and e.get("path") == f2["path"]]
    lo, hi = bounds(f2)
    check("the file that took the fd: opened and closed, paired",
          len(c2) == 1 and c2[0].get("how") == "close" and
          lo <= c2[0].get("duration_ns", -1) <= hi, *[repr(e) for e in mine[:6]])


def check_cfiles(out, d):
    """ftree cfiles: S, sharing P's fd table, closes P's file; filemon sees
    S's close (inherited, via close) but not P's. The next open on the fd
    in P (a file not watched) is said as "reopened" naming P's file, and
    nothing of P's file follows: no close of it by P, ever."""
    t = Truth(d)
    events = load(out)
    f1 = next(r for r in t.closes if r["how"] == "inherited")
    p = f1["opid"]
    s = f1["pid"]
    ofp = [e for e in events if e.get("pid") == p and e.get("path") == f1["path"]]
    reo = [e for e in events if e["event"] == "error" and e.get("error") == "reopened"]
    cs = [e for e in events if e.get("pid") == s and e["event"] == "close"]
    lo, hi = bounds(f1)
    check("a CLONE_FILES sibling's close: its own, inherited via close, with its duration",
          len(cs) == 1 and cs[0].get("how") == "inherited" and cs[0].get("via") == "close" and
          cs[0].get("path") == f1["path"] and cs[0].get("opener_pid") == p and
          lo <= cs[0].get("duration_ns", -1) <= hi, *[repr(e) for e in cs[:4]])
    check("the fd taken by a file not watched in the opener: one \"reopened\" naming the "
          "file it had, on its fd",
          len(reo) == 1 and reo[0].get("pid") == p and reo[0].get("fd") == f1["fd"] and
          reo[0].get("previous_path") == f1["path"] and
          not reo[0].get("path", b"").startswith(b"/etc/"), *[repr(e) for e in reo[:4]])
    check("the opener's file: its open, and no close of it by the opener",
          [e["event"] for e in ofp] == ["open"], *[repr(e) for e in ofp[:4]])
    end = [e for e in events if e["event"] == "end"]
    check("end: one open, one close, none still open, none lost",
          len(end) == 1 and (end[0].get("opens"), end[0].get("closes"), end[0].get("still_open"),
                             end[0].get("lost")) == (1, 1, 0, 0), repr(end))


# strace -f lines: "PID openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 5",
# or cut in two: "PID openat(... <unfinished ...>", "PID <... openat
# resumed>) = 5"
STRACE = re.compile(rb'^(\d+) +(?:open|openat|openat2)\((?:[^,]+, )?"((?:[^"\\]|\\.)*)"')
RESUMED = re.compile(rb'^(\d+) +<\.\.\. open(?:at2?)? resumed>')
RESULT = re.compile(rb'\) += (-?\d+)')


def unescape(s):
    return s.decode("unicode_escape").encode("latin-1")


def check_strace(out, d):
    """The truth against strace: the tree's successful opens of the listed
    files and of the three it opens by other names, thread and fd."""
    t = Truth(d)
    with open(os.path.join(d, "list"), "rb") as f:
        names = set(n for n in f.read().split(b"\0") if n)
    names |= {b"/usr/lib", b"os-release", b"passwd"}
    seen, cut = [], {}
    with open(out, "rb") as f:
        for line in f:
            m, r = STRACE.match(line), RESULT.search(line)
            if m:
                name = unescape(m.group(2))
                if line.rstrip().endswith(b"<unfinished ...>"):
                    cut[m.group(1)] = name
                    continue
            else:
                m = RESUMED.match(line)
                name = cut.pop(m.group(1), None) if m else None
            if name in names and r and int(r.group(1)) >= 0:
                seen.append((int(m.group(1)), int(r.group(1))))
    same("the truth: strace -f saw the same opens (tid, fd)",
         seen, [(r["otid"], r["fd"]) for r in t.opens()])


def main():
    a = sys.argv[1:]
    cmd, out, d = a[0], a[1], a[2]
    rest = a[3:]
    scope = None
    if cmd == "check":
        comm, rest = rest[0], rest[1:]
        roles, failed = None, False
        while rest[:1] and rest[0].startswith("-"):
            if rest[0] == "--scope":
                scope, rest = rest[1], rest[1:]
            elif rest[0] == "--roles":
                roles, rest = rest[1].split(","), rest[1:]
            elif rest[0] == "-x":
                failed = True
            else:
                raise SystemExit("unknown option " + rest[0])
            rest = rest[1:]
        check_run(out, d, [os.fsencode(p) for p in rest], scope, comm, roles, failed)
    elif cmd == "summary":
        check_summary(out, d, [os.fsencode(p) for p in rest])
    elif cmd == "held":
        check_held(out, d, int(rest[0]), int(rest[1]))
    elif cmd == "lost":
        check_lost(out, d, int(rest[0]))
    elif cmd == "unseen":
        check_unseen(out, d)
    elif cmd == "cfiles":
        check_cfiles(out, d)
    elif cmd == "strace":
        check_strace(out, d)
    else:
        raise SystemExit(__doc__)
    finish()


if __name__ == "__main__":
    main()
