"""Where a machine's CPU went during a benchmark, from /proc (Linux): CPU seconds per
process group, so a benchmark on a shared machine can say what else was running.

``Tracker.sample()`` (every couple of seconds) reads every process's CPU time; a process
is counted from its first sample (0 when it started after the first) to its last, so one
that ends between samples (a PostgreSQL backend whose pooled connection was recycled,
another helper's test process) keeps what it had used up to then. What no sample saw
(processes shorter than the interval, the last seconds of the ones that ended) is the
remainder of the machine's busy time (/proc/stat).

Groups: the processes named by the caller (a pid and its descendants: gunicorn and its
workers, ...), PostgreSQL's backends of one database, PostgreSQL's other processes, and
everything else by command name (another helper's pytest, a browser, ...)."""
import os
import time

TICK = os.sysconf("SC_CLK_TCK")


def busy():
    """The machine's busy CPU ticks so far (/proc/stat: user, nice, system, irq, softirq;
    not idle, iowait, steal, nor guest, which user already holds)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return values[0] + values[1] + values[2] + values[5] + values[6]


def _stat(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        text = f.read().decode(errors="replace")
    fields = text.rsplit(")", 1)[1].split()
    # fields[0] = state, [1] = parent pid, [11] = utime, [12] = stime
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def processes():
    """{pid: (parent pid, CPU ticks)} of every process now."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                out[int(name)] = _stat(name)
            except (OSError, ValueError, IndexError):
                continue
    return out


class Tracker:
    """CPU per process group between ``start()`` and the last ``sample()``."""

    def __init__(self, database, named):
        self.database, self.named = database, dict(named)   # {pid: label}
        self.first, self.last, self.groups = {}, {}, {}

    def start(self):
        self.busy0, self.wall0 = busy(), time.monotonic()
        self.first = {pid: ticks for pid, (_p, ticks) in processes().items()}
        self.sample()

    def sample(self):
        procs = processes()
        for pid, (_parent, ticks) in procs.items():
            if pid not in self.groups:
                self.groups[pid] = self._group(pid, procs)
                self.first.setdefault(pid, 0)
            self.last[pid] = ticks
        self.busy1, self.wall1 = busy(), time.monotonic()

    def _owner(self, pid, procs):
        seen = set()
        while pid in procs and pid not in seen:
            if pid in self.named:
                return self.named[pid]
            seen.add(pid)
            pid = procs[pid][0]
        return None

    def _group(self, pid, procs):
        owner = self._owner(pid, procs)
        if owner:
            return owner
        cmd = _cmdline(pid)
        if cmd.startswith("postgres:"):
            return f"postgres: {self.database}" if f" {self.database} " in f" {cmd} " \
                else "postgres: other databases and its own processes"
        words = cmd.split()
        if not words:
            return "kernel threads"
        first = os.path.basename(words[0])
        if first == "postgres":
            return "postgres: other databases and its own processes"
        if first.startswith("python") and len(words) > 1:
            script = os.path.basename(next((w for w in words[1:] if not w.startswith("-")), ""))
            if script == "locust" and os.getpid() in (procs.get(pid, (0,))[0], pid):
                return "locust (the load generator)"
            return f"other: python {script}"[:60]
        return f"other: {first}"[:60]

    def lines(self, top=8):
        """CPU seconds per group."""
        totals = {}
        for pid, ticks in self.last.items():
            used = (ticks - self.first.get(pid, 0)) / TICK
            if used > 0:
                totals[self.groups[pid]] = totals.get(self.groups[pid], 0) + used
        machine = (self.busy1 - self.busy0) / TICK
        wall = self.wall1 - self.wall0
        ours = sorted((g for g in totals if not g.startswith("other")), key=lambda g: -totals[g])
        others = sorted((g for g in totals if g.startswith("other")), key=lambda g: -totals[g])
        lines = [f"  {g:<52}{totals[g]:>8.1f} s" for g in ours + others[:top]]
        rest = sum(totals[g] for g in others[top:])
        if rest:
            lines.append(f"  {'other: the rest':<52}{rest:>8.1f} s")
        seen = sum(totals.values())
        lines.append(f"  {'not seen by a sample (short-lived processes)':<52}"
                     f"{max(0.0, machine - seen):>8.1f} s")
        lines.append(f"  {'the machine, busy':<52}{machine:>8.1f} s of {wall * os.cpu_count():.0f} "
                     f"({wall:.0f} s × {os.cpu_count()} cores)")
        return lines
