#!/usr/bin/env python3
"""herald against a peer scheduler (BullMQ on Redis), end to end, in one run.

    e2e.py --herald BIN --sandbox BIN --out DIR [--deliveries N] [--channels C]
           [--window S] [--lead S] [--peer-concurrency K] [--wrk-seconds D]

Two phases, one after the other on the same machine, each against a fresh
herald-sandbox: herald publishing N WordPress deliveries over C channels, all
due inside a window of S seconds that opens `lead` seconds after the phase
starts; then the peer (bench/e2e/peer/peer.js: BullMQ delayed jobs on a
redis-server started here) publishing the same deliveries, shifted to its own
window. Each phase measures:

- publish lateness: the sandbox's receipt time of each create (at_ms) minus
  the planned instant; p50, p99, max, mean;
- throughput: deliveries / (last create - first due instant), and the most
  creates the sandbox received in one second;
- peak RSS (VmHWM) of herald; of node and redis-server for the peer;
- start-up: process start to READY=1 on NOTIFY_SOCKET (herald), process start
  to every job added (peer);
- reload: the calendar file rewritten with one post's text changed, until
  READY=1 after RELOADING=1 (herald; includes its 300 ms debounce); the
  peer's equivalent is updating one delayed job's data (getJob + updateData);
- /healthz and /api/v1/queue?limit=50 requests per second under
  `wrk -t2 -c10 -dDs` while publishing (the peer's endpoint is the minimal one
  in peer.js).

Prints a markdown table and writes results.json, table.md and every log into
DIR. Every process started here is stopped on the way out, failure or not;
their pids are also listed in DIR/pids for bench/e2e/run's trap.
"""

import argparse
import json
import os
import pathlib
import platform
import re
import signal
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import workload  # noqa: E402


class Processes:
    """Every child, each in its own session; stop_all() ends them (TERM, then
    KILL after a grace period), whatever happened before."""

    def __init__(self, pid_file):
        self.children = []
        self.pid_file = pid_file

    def start(self, name, argv, log, **kw):
        out = open(log, "wb")
        kw.setdefault("stdout", out)
        p = subprocess.Popen(argv, stderr=out, start_new_session=True, **kw)
        p.name = name
        self.children.append(p)
        with open(self.pid_file, "a") as f:
            f.write(f"{p.pid}\n")
        return p

    def stop(self, p, grace=10):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            except ProcessLookupError:
                pass
        return p.returncode

    def stop_all(self):
        for p in reversed(self.children):
            self.stop(p, grace=5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def fresh_dir(path):
    """An empty directory: a phase never starts from an earlier run's state
    (herald's store would rightly refuse to publish what it published then)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def vm_hwm_kib(pid):
    return proc_status_kib(pid, "VmHWM")


def vm_rss_kib(pid):
    return proc_status_kib(pid, "VmRSS")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def fuzzers_running():
    r = subprocess.run(["pgrep", "-f", "fuzz"], capture_output=True, text=True)
    return len([p for p in r.stdout.split() if int(p) != os.getpid()])


def http_get(url, timeout=60):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET;
    records every message with its wall-clock arrival time."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.time(), data.decode(errors="replace")))

    def wait_for(self, part, after=0.0, timeout=600.0, proc=None):
        """Arrival time of the first message containing `part` that arrived after `after`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for t, m in self.messages:
                    if t >= after and part in m.split("\n"):
                        return t
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with {proc.returncode} before {part}")
            time.sleep(0.005)
        raise TimeoutError(f"no {part} on NOTIFY_SOCKET within {timeout:.0f} s")

    def close(self):
        self.closed = True
        self.sock.close()


def start_sandbox(procs, args, out, name):
    cfg = out / "sandbox.yaml"
    cfg.write_text(
        "wordpress:\n  site: https://blog.example.com\n  users:\n    - login: sandbox_editor\n      id: 1\n"
        '      role: administrator\n      app_passwords: ["FAKE abcd efgh ijkl mnop qrst"]\n')
    p = procs.start(name, [args.sandbox, "--listen", "127.0.0.1:0", "--config", str(cfg)], out / f"{name}.log",
                    stdout=subprocess.PIPE)
    line = p.stdout.readline().decode()
    m = re.match(r"listening on ([\d.]+):(\d+)", line)
    if not m:
        raise RuntimeError(f"herald-sandbox did not start: {line!r}; see {out}/{name}.log")
    return p, f"http://127.0.0.1:{m.group(2)}"


def published_count(api):
    _, headers, _ = http_get(api + "/wp-json/wp/v2/posts?per_page=1")
    return int(headers.get("X-WP-Total", 0))


def wait_published(api, n, deadline, proc):
    last = -1
    while time.time() < deadline:
        count = published_count(api)
        if count != last:
            last = count
        if count >= n:
            return count
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.returncode} while publishing")
        time.sleep(1.0)
    return last


def run_wrk(url, seconds, log):
    r = subprocess.run(["wrk", "-t2", "-c10", f"-d{seconds}s", "--timeout", "5s", url],
                       capture_output=True, text=True)
    with open(log, "a") as f:
        f.write(f"$ wrk -t2 -c10 -d{seconds}s {url}\n{r.stdout}{r.stderr}\n")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", r.stdout)
    errors = re.search(r"Socket errors: (.*)", r.stdout)
    lat = re.search(r"Latency\s+(\S+)", r.stdout)
    return {"rps": float(rps.group(1)) if rps else None, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "", "latency_avg": lat.group(1) if lat else None}


def wrk_while_publishing(base, window_start, args, log):
    """Both status URLs under wrk, one after the other, from a few seconds
    into the window (while the deliveries fall due)."""
    start = window_start + min(5, args.window / 4)
    time.sleep(max(0.0, start - time.time()))
    return {"healthz": run_wrk(base + "/healthz", args.wrk_seconds, log),
            "queue": run_wrk(base + "/api/v1/queue?limit=50", args.wrk_seconds, log)}


def measure_creates(api, planned_ms, window_start, stopped_ms):
    """Lateness of each create against its planned instant, from the sandbox's
    record. A delivery not published when the scheduler was stopped counts as
    late by at least (stop - planned): a percentile that falls on one is
    reported as a lower bound ("at_least")."""
    _, _, body = http_get(api + "/_sandbox/creates", timeout=300)
    creates = json.loads(body)["creates"]
    seen, late, at, body_bytes, duplicates, unknown = set(), [], [], [], 0, 0
    for c in creates:
        slug = c["fields"].get("slug", "")
        base = re.sub(r"-\d+$", "", slug) if slug not in planned_ms else slug
        if base not in planned_ms:
            unknown += 1
            continue
        if base in seen or slug != base:
            duplicates += 1
            continue
        seen.add(base)
        late.append(c["at_ms"] - planned_ms[base])
        at.append(c["at_ms"])
        body_bytes.append(len(c["text"]) + len(c["fields"].get("title", "")) + len(slug))
    missing = [stopped_ms - planned_ms[k] for k in planned_ms if k not in seen]
    everything = sorted([(v, False) for v in late] + [(v, True) for v in missing])
    late.sort()
    at.sort()

    def q(p):
        v, censored = everything[min(len(everything) - 1, int(round(p * (len(everything) - 1))))]
        return {"at_least": v} if censored else v
    per_second = {}
    for a in at:
        per_second[a // 1000] = per_second.get(a // 1000, 0) + 1
    span = (at[-1] - window_start * 1000) / 1000 if at else None
    return {
        "published": len(late), "duplicates": duplicates, "unknown_creates": unknown,
        "not_published": len(missing),
        "lateness_ms": {"p50": q(0.5), "p99": q(0.99),
                        "max": {"at_least": everything[-1][0]} if missing else q(1.0),
                        "min": late[0] if late else None,
                        "mean_of_published": sum(late) / len(late) if late else None},
        "last_create_after_window_start_s": span,
        "throughput_per_s": len(late) / span if span else None,
        "peak_1s_per_s": max(per_second.values()) if per_second else None,
        "mean_title_content_slug_bytes": sum(body_bytes) / len(body_bytes) if body_bytes else None,
    }


def edit_probe(out, notify, herald):
    """Rewrites the reload probe's text (in calendar.yaml, or in the last
    file of calendar/); returns when it was written, when herald said
    RELOADING=1 (after its 300 ms debounce) and when READY=1 again."""
    cal = out / "calendar.yaml"
    if not cal.exists():
        cal = sorted((out / "calendar").glob("*.yaml"))[-1]
    text = cal.read_text().replace("Reload probe, first version.", "Reload probe, second version.")
    with open(cal, "w") as f:
        f.write(text)
    t_edit = time.time()
    t_reloading = notify.wait_for("RELOADING=1", after=t_edit, timeout=600, proc=herald)
    t_reloaded = notify.wait_for("READY=1", after=t_reloading, timeout=600, proc=herald)
    return t_edit, t_reloading, t_reloaded


def herald_split_reload(procs, args, out, files=365):
    """herald on the same deliveries written as a calendar split in `files`
    files (as a year split per day), far from due: start-up, then the edit of
    one post, three times, the median kept."""
    fresh_dir(out)
    sandbox, api = start_sandbox(procs, args, out, "sandbox-split")
    status_port = free_port()
    window_start = int(time.time()) + 7 * 86400
    subprocess.run([sys.executable, str(HERE / "workload.py"), str(out), "--deliveries", str(args.deliveries),
                    "--channels", str(args.channels), "--window-start", str(window_start), "--window",
                    str(args.window), "--api", api, "--status-port", str(status_port), "--files", str(files)],
                   check=True)
    sock_dir = tempfile.mkdtemp(prefix="herald-e2e-")
    notify = NotifySocket(os.path.join(sock_dir, "notify"))
    result = {"files": files}
    try:
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        t_start = time.time()
        herald = procs.start("herald", [args.herald, "run", "--config", str(out / "herald.yaml")], out / "herald.log",
                             env=env)
        t_ready = notify.wait_for("READY=1", timeout=600, proc=herald)
        result["startup_s"] = t_ready - t_start
        totals, works = [], []
        for n in range(3):
            t_edit, t_reloading, t_reloaded = edit_probe(out, notify, herald)
            totals.append(t_reloaded - t_edit)
            works.append(t_reloaded - t_reloading)
            # The next edit restores the first text (edit_probe swaps it back).
            cal = sorted((out / "calendar").glob("*.yaml"))[-1]
            cal.write_text(cal.read_text().replace("second version", "first version"))
            notify.wait_for("READY=1", after=notify.wait_for("RELOADING=1", after=time.time(), timeout=600,
                                                                proc=herald), timeout=600, proc=herald)
        result["reload_s"] = sorted(totals)[1]
        result["reload_work_s"] = sorted(works)[1]
        result["peak_rss_kib"] = vm_hwm_kib(herald.pid)
        procs.stop(herald, grace=60)
    finally:
        notify.close()
        procs.stop(sandbox)
    print(f"herald, calendar in {files} files: READY after {result['startup_s']:.2f} s, edit of one post "
          f"{result['reload_s'] * 1000:.0f} ms ({result['reload_work_s'] * 1000:.0f} ms after the debounce)", flush=True)
    return result


def herald_phase(procs, args, out):
    fresh_dir(out)
    sandbox, api = start_sandbox(procs, args, out, "sandbox-herald")
    status_port = free_port()
    window_start = int(time.time()) + args.lead
    subprocess.run([sys.executable, str(HERE / "workload.py"), str(out), "--deliveries", str(args.deliveries),
                    "--channels", str(args.channels), "--window-start", str(window_start), "--window",
                    str(args.window), "--api", api, "--status-port", str(status_port)], check=True)
    jobs = json.loads((out / "jobs.json").read_text())
    planned = {j["slug"]: j["planned_ms"] for j in jobs if not j.get("probe")}
    sock_dir = tempfile.mkdtemp(prefix="herald-e2e-")
    notify = NotifySocket(os.path.join(sock_dir, "notify"))
    result = {"window_start": window_start, "load_before": loadavg()}
    try:
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        t_start = time.time()
        herald = procs.start("herald", [args.herald, "run", "--config", str(out / "herald.yaml")], out / "herald.log",
                             env=env)
        t_ready = notify.wait_for("READY=1", timeout=args.lead + 600, proc=herald)
        result["startup_s"] = t_ready - t_start
        result["ready_before_window_s"] = window_start - t_ready
        print(f"herald: READY after {t_ready - t_start:.2f} s, {window_start - t_ready:.1f} s before the window",
              flush=True)
        base = f"http://127.0.0.1:{status_port}"

        # One post's text changed in the 100k calendar, before the window
        # opens (the loop is idle, so this is the reload itself): herald sees
        # it by inotify, waits 300 ms of quiet, reloads, checks and diffs.
        t_edit, t_reloading, t_reloaded = edit_probe(out, notify, herald)
        result["reload_s"] = t_reloaded - t_edit
        result["reload_work_s"] = t_reloaded - t_reloading
        result["reload_done_before_window_s"] = window_start - t_reloaded
        key = urllib.request.quote(f"{workload.PROBE_ID}@{workload.channel_name(0)}", safe="")
        try:
            # The delivery's text is the text as sent ("" until then); its
            # history says the edit was applied.
            _, _, body = http_get(f"{base}/api/v1/history?key={key}")
            result["reload_visible_in_api"] = b'"event":"edited"' in body
        except Exception as e:  # the figure stands without this check
            result["reload_visible_in_api"] = f"unknown: {e}"
        print(f"herald: reload {result['reload_s']:.2f} s, {window_start - t_reloaded:.1f} s before the window",
              flush=True)

        result["wrk"] = wrk_while_publishing(base, window_start, args, out / "wrk.log")
        count = wait_published(api, args.deliveries, window_start + args.window + args.drain_timeout, herald)
        result["load_after_publishing"] = loadavg()
        print(f"herald: {count} of {args.deliveries} published", flush=True)
        result["peak_rss_kib"] = {"herald": vm_hwm_kib(herald.pid), "sandbox": vm_hwm_kib(sandbox.pid)}
        result["rss_after_kib"] = {"herald": vm_rss_kib(herald.pid)}
        t_stop = time.time()
        result["exit_code"] = procs.stop(herald, grace=60)
        result["stop_s"] = time.time() - t_stop
        result.update(measure_creates(api, planned, window_start, t_stop * 1000))
    finally:
        notify.close()
        procs.stop(sandbox)
    return result, jobs


def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def peer_phase(procs, args, out, jobs):
    fresh_dir(out)
    sandbox, api = start_sandbox(procs, args, out, "sandbox-peer")
    result = {"load_before": loadavg()}
    redis_port = free_port()
    t_redis = time.time()
    redis = procs.start("redis-server", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(out)],
                        out / "redis.log")
    while not redis_ping(redis_port):
        if redis.poll() is not None or time.time() > t_redis + 30:
            raise RuntimeError(f"redis-server did not start; see {out}/redis.log")
        time.sleep(0.01)
    result["redis_startup_s"] = time.time() - t_redis

    window_start = int(time.time()) + args.lead
    shift_ms = (window_start - args.herald_window_start) * 1000
    peer_jobs = [dict(j, planned_ms=j["planned_ms"] + shift_ms) for j in jobs]
    (out / "jobs.json").write_text(json.dumps(peer_jobs, separators=(",", ":")))
    planned = {j["slug"]: j["planned_ms"] for j in peer_jobs if not j.get("probe")}
    result["window_start"] = window_start

    lines, lock = [], threading.Lock()
    t_start = time.time()
    node = procs.start("node", ["node", str(HERE / "peer" / "peer.js"), "--redis-port", str(redis_port),
                                "--sandbox", api, "--jobs", str(out / "jobs.json"),
                                "--concurrency", str(args.peer_concurrency)],
                       out / "peer.log", stdout=subprocess.PIPE, stdin=subprocess.PIPE)

    def read_stdout():
        for raw in node.stdout:
            with lock:
                lines.append((time.time(), raw.decode().strip()))

    threading.Thread(target=read_stdout, daemon=True).start()

    def wait_line(prefix, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with lock:
                for t, line in lines:
                    if line.startswith(prefix):
                        return t, line[len(prefix):].strip()
            if node.poll() is not None:
                raise RuntimeError(f"peer exited with {node.returncode}; see {out}/peer.log")
            time.sleep(0.005)
        raise TimeoutError(f"peer: no '{prefix}' within {timeout:.0f} s")

    try:
        _, status_port = wait_line("status-port", 120)
        t_ready, _ = wait_line("ready", args.lead + 600)
        result["startup_s"] = t_ready - t_start
        result["ready_before_window_s"] = window_start - t_ready
        print(f"peer: every job added after {t_ready - t_start:.2f} s, {window_start - t_ready:.1f} s before "
              "the window", flush=True)
        # The counterpart of herald's reload, before the window as there.
        node.stdin.write(b"edit\n")
        node.stdin.flush()
        _, edited_ms = wait_line("edited", 120)
        result["reload_s"] = float(edited_ms) / 1000

        result["wrk"] = wrk_while_publishing(f"http://127.0.0.1:{status_port}", window_start, args,
                                             out / "wrk.log")
        count = wait_published(api, args.deliveries, window_start + args.window + args.drain_timeout, node)
        result["load_after_publishing"] = loadavg()
        print(f"peer: {count} of {args.deliveries} published", flush=True)
        result["rss_after_kib"] = {"node": vm_rss_kib(node.pid), "redis": vm_rss_kib(redis.pid)}
        result["peak_rss_kib"] = {"node": vm_hwm_kib(node.pid), "redis": vm_hwm_kib(redis.pid),
                                  "sandbox": vm_hwm_kib(sandbox.pid)}
        t_stop = time.time()
        node.stdin.write(b"quit\n")
        node.stdin.flush()
        wait_line("bye", 60)
        result["exit_code"] = procs.stop(node)
        result["stop_s"] = time.time() - t_stop
        procs.stop(redis)
        result.update(measure_creates(api, planned, window_start, t_stop * 1000))
    finally:
        procs.stop(node)
        procs.stop(redis)
        procs.stop(sandbox)
    return result


def fmt_ms(v):
    if isinstance(v, dict):
        return "≥ " + fmt_ms(v["at_least"])
    if v is None:
        return "n/a"
    return f"{v / 1000:.2f} s" if abs(v) >= 10000 else f"{v:.0f} ms" if abs(v) >= 100 else f"{v:.1f} ms"


def fmt_s(v):
    return "n/a" if v is None else f"{v:.2f} s" if v >= 1 else f"{v * 1000:.1f} ms"


def fmt_mib(kib):
    return "n/a" if kib is None else f"{kib / 1024:.0f} MiB"


def ratio(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        a2, b2 = (x["at_least"] if isinstance(x, dict) else x for x in (a, b))
        return ("≥ " if isinstance(a, dict) else "≤ ") + ratio(a2, b2) if not (isinstance(a, dict) and isinstance(b, dict)) else "n/a"
    if a is None or b is None or b == 0:
        return "n/a"
    r = a / b
    return f"{r:.2f}" if r < 10 else f"{r:.0f}"


def table(res):
    h, p, a = res["herald"], res["peer"], res["args"]
    hl, pl = h["lateness_ms"], p["lateness_ms"]
    peer_rss = (p["peak_rss_kib"]["node"] or 0) + (p["peak_rss_kib"]["redis"] or 0)
    peer_after = (p["rss_after_kib"]["node"] or 0) + (p["rss_after_kib"]["redis"] or 0)
    rows = [
        (f'deliveries published (of {a["deliveries"]}) by the end of the wait, duplicates',
         f'{h["published"]}, {h["duplicates"]}', f'{p["published"]}, {p["duplicates"]}', ""),
    ]
    for q in ("p50", "p99", "max"):
        rows.append((f"publish lateness {q}", fmt_ms(hl[q]), fmt_ms(pl[q]), ratio(hl[q], pl[q])))
    rows += [
        ("throughput (deliveries/s, first due instant to last create)",
         f'{h["throughput_per_s"]:.1f}', f'{p["throughput_per_s"]:.1f}', ratio(h["throughput_per_s"], p["throughput_per_s"])),
        ("most creates in one second", f'{h["peak_1s_per_s"]}', f'{p["peak_1s_per_s"]}',
         ratio(h["peak_1s_per_s"], p["peak_1s_per_s"])),
        ("peak RSS (VmHWM)", fmt_mib(h["peak_rss_kib"]["herald"]),
         f'{fmt_mib(peer_rss)} (node {fmt_mib(p["peak_rss_kib"]["node"])} + redis {fmt_mib(p["peak_rss_kib"]["redis"])})',
         ratio(h["peak_rss_kib"]["herald"], peer_rss)),
        ("RSS after publishing (VmRSS)", fmt_mib(h["rss_after_kib"]["herald"]),
         f'{fmt_mib(peer_after)} (node {fmt_mib(p["rss_after_kib"]["node"])} + redis {fmt_mib(p["rss_after_kib"]["redis"])})',
         ratio(h["rss_after_kib"]["herald"], peer_after)),
        ("start-up (herald: to READY=1; peer: to every job added)", fmt_s(h["startup_s"]), fmt_s(p["startup_s"]),
         ratio(h["startup_s"], p["startup_s"])),
        ("edit of one post, one file (herald: file write to READY=1 after reload, with the 300 ms debounce; "
         "peer: updateData)", fmt_s(h["reload_s"]), fmt_s(p["reload_s"]), ratio(h["reload_s"], p["reload_s"])),
        ("edit of one post, one file: herald's reload itself (RELOADING=1 to READY=1)",
         fmt_s(h["reload_work_s"]), fmt_s(p["reload_s"]), ratio(h["reload_work_s"], p["reload_s"])),
    ]
    if "split" in res:
        sp = res["split"]
        rows += [
            (f'edit of one post, calendar in {sp["files"]} files: with the debounce', fmt_s(sp["reload_s"]),
             fmt_s(p["reload_s"]), ratio(sp["reload_s"], p["reload_s"])),
            (f'edit of one post, calendar in {sp["files"]} files: the reload itself', fmt_s(sp["reload_work_s"]),
             fmt_s(p["reload_s"]), ratio(sp["reload_work_s"], p["reload_s"])),
            (f'start-up, calendar in {sp["files"]} files', fmt_s(sp["startup_s"]), fmt_s(p["startup_s"]),
             ratio(sp["startup_s"], p["startup_s"])),
        ]
    for name, label in (("healthz", "/healthz"), ("queue", "/api/v1/queue?limit=50")):
        hw, pw = h["wrk"][name], p["wrk"][name]
        note = lambda w: f'{w["rps"]:.0f}' + (f' ({w["non_2xx"]} non-2xx)' if w["non_2xx"] else "") if w["rps"] else "n/a"
        rows.append((f"{label} requests/s (wrk -t2 -c10 -d{a['wrk_seconds']}s, while publishing)", note(hw), note(pw),
                     ratio(hw["rps"], pw["rps"])))
    lines = ["| figure | herald | BullMQ peer | herald/peer |", "|---|---:|---:|---:|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    lines += [
        "| cron (reference) | lateness up to 60 s, mean 30 s: jobs start on the minute | | |",
        "| systemd timer (reference) | `AccuracySec=1min` by default: up to 60 s late, at a per-host point in the minute | | |",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--herald", required=True)
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--deliveries", type=int, default=100000)
    ap.add_argument("--channels", type=int, default=1000)
    ap.add_argument("--window", type=int, default=120, help="seconds over which the deliveries fall due")
    ap.add_argument("--lead", type=int, default=120, help="seconds from a phase's start to its first due instant")
    ap.add_argument("--peer-concurrency", type=int, default=4)
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--drain-timeout", type=int, default=600, help="seconds after the window to wait for the rest")
    ap.add_argument("--split-only", action="store_true",
                    help="only herald's start-up and edit of one post with the calendar in 365 files")
    args = ap.parse_args()
    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args.herald, args.sandbox = os.path.realpath(args.herald), os.path.realpath(args.sandbox)

    procs = Processes(out / "pids")
    (out / "pids").write_text("")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    res = {"args": vars(args), "machine": {
        "nproc": os.cpu_count(), "kernel": platform.release(),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "mem_total_kib": int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))),
        "load_at_start": loadavg(), "fuzz_processes_at_start": fuzzers_running(),
    }}
    if args.split_only:
        try:
            res["split"] = herald_split_reload(procs, args, out / "split")
        finally:
            procs.stop_all()
            (out / "pids").write_text("")
            (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
        return
    try:
        for name, cmd in (("node", ["node", "--version"]), ("redis", ["redis-server", "--version"]),
                          ("wrk", ["wrk", "--version"]), ("herald", [args.herald, "version"])):
            r = subprocess.run(cmd, capture_output=True, text=True)
            res["machine"][name] = (r.stdout + r.stderr).strip().splitlines()[0] if (r.stdout + r.stderr).strip() else "?"
        res["machine"]["bullmq"] = json.loads((HERE / "peer/node_modules/bullmq/package.json").read_text())["version"]

        print(f"herald phase: {args.deliveries} deliveries on {args.channels} channels due over {args.window} s, "
              f"from {args.lead} s after start (load {loadavg()})", flush=True)
        res["herald"], jobs = herald_phase(procs, args, out / "herald")
        args.herald_window_start = res["herald"]["window_start"]
        print(f"peer phase: the same deliveries, BullMQ {res['machine']['bullmq']}, concurrency "
              f"{args.peer_concurrency} (load {loadavg()})", flush=True)
        res["peer"] = peer_phase(procs, args, out / "peer", jobs)
        print("herald, the same calendar split per day: the edit of one post", flush=True)
        res["split"] = herald_split_reload(procs, args, out / "split")
        res["machine"]["load_at_end"] = loadavg()
        res["machine"]["fuzz_processes_at_end"] = fuzzers_running()
    finally:
        procs.stop_all()
        (out / "pids").write_text("")  # all stopped: nothing for bench/e2e/run's trap
        (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
    t = table(res)
    m = res["machine"]
    t += (f"\n\nMachine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_total_kib'] // 1024} MiB; load average "
          f"{m['load_at_start']} at start, {m['load_at_end']} at end; other fuzz processes: "
          f"{m['fuzz_processes_at_start']} at start, {m['fuzz_processes_at_end']} at end. "
          f"{m['node']}, {m['redis']}, BullMQ {m['bullmq']}.\n")
    (out / "table.md").write_text(t)
    print()
    print(t)
    print(f"Raw figures: {out}/results.json; logs in {out}/herald and {out}/peer")


if __name__ == "__main__":
    main()
