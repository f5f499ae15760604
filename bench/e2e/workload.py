#!/usr/bin/env python3
"""The end-to-end benchmark's workload: N deliveries on C WordPress channels,
due inside a short window, written once for herald and once for the peer.

    workload.py OUT_DIR --deliveries N --channels C --window-start EPOCH_S --window S --api http://127.0.0.1:PORT

Writes, for herald, OUT_DIR/herald.yaml, OUT_DIR/calendar.yaml and
OUT_DIR/credentials/{blog,status-token}; for the peer, OUT_DIR/jobs.json (the
same deliveries with the exact JSON body herald sends). Standard library only,
deterministic for the same arguments.

Delivery i goes to channel i % C and is due at window_start + floor(i * S / N)
seconds: about N / S deliveries share each second, every channel has N / C
of them spread over the whole window. Each post has one channel, so a post is
one delivery and one create request (POST /wp-json/wp/v2/posts, HTTP Basic);
no categories, tags or media, so herald makes no other request. One more post,
the reload probe, is due a day later on the first channel: the benchmark
edits its text to time a calendar reload (and, for the peer, a job update).
"""

import argparse
import datetime as dt
import json
import os
import pathlib

# The sandbox's WordPress user (tests/sandbox/sandbox.example.yaml).
WP_USER = "sandbox_editor"
WP_APP_PASSWORD = "FAKE abcd efgh ijkl mnop qrst"
WP_SITE = "https://blog.example.com"
PROBE_ID = "e2e-reload-probe"

# Plain ASCII, no links and no markup: the composed WordPress content is then
# "<p>TEXT</p>\n" (compose wraps a paragraph) and the peer can send the same
# bytes without herald's composer.
WORDS = ("spring service chain brakes tyre pressure lights battery route saddle "
         "commute repair check clean oil winter ready weekend shop team").split()


def channel_name(c):
    return f"c{c:04d}"


def post_id(i):
    return f"e2e-{i:06d}"


def text_of(i):
    # About 200 characters, varied by i, the same for herald and the peer.
    words, k = [], i + 1
    while sum(len(w) + 1 for w in words) < 190:
        k = (k * 1103515245 + 12345) % 2**31  # a small LCG: varied, deterministic
        words.append(WORDS[(k >> 16) % len(WORDS)])
    return f"Post {i}: " + " ".join(words) + "."


def deliveries(n, channels, window_start, window):
    for i in range(n):
        yield {
            "i": i,
            "post": post_id(i),
            "channel": channel_name(i % channels),
            "planned_s": window_start + (i * window) // n,
            "title": f"Post {i}",
            "text": text_of(i),
        }


def iso(epoch_s):
    return dt.datetime.fromtimestamp(epoch_s, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wordpress_body(post, title, text):
    """The JSON herald's WordPress connector sends for such a post
    (connectors/wordpress/wordpress_connector.cpp: publish), byte for byte
    in length: same keys, same order, compact."""
    return json.dumps({"title": title, "content": f"<p>{text}</p>\n", "excerpt": "", "status": "publish",
                       "slug": post, "categories": [], "tags": []}, separators=(",", ":"))


def write_calendar(path, items, probe_s, probe_text):
    with open(path, "w") as f:
        f.write("posts:\n")
        for d in items:
            f.write(f'  - {{id: {d["post"]}, at: "{iso(d["planned_s"])}", channels: [{d["channel"]}], '
                    f'title: "{d["title"]}", text: "{d["text"]}"}}\n')
        if probe_s is not None:
            f.write(f'  - {{id: {PROBE_ID}, at: "{iso(probe_s)}", channels: [{channel_name(0)}], '
                    f'title: "Reload probe", text: "{probe_text}"}}\n')


def write_split_calendar(folder, items, probe_s, probe_text, files):
    """The same posts over `files` files of consecutive posts (a calendar
    split per day holds a year in 365), the probe in the last one."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = max(1, -(-len(items) // files))
    for f in range(files):
        part = items[f * per_file:(f + 1) * per_file]
        last = f == files - 1
        if not part and not last:
            continue
        write_calendar(folder / f"day-{f + 1:03d}.yaml", part, probe_s if last else None, probe_text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--deliveries", type=int, required=True)
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--window-start", type=int, required=True, help="epoch seconds of the first due instant")
    ap.add_argument("--window", type=int, required=True, help="seconds over which the deliveries fall due")
    ap.add_argument("--api", required=True, help="the sandbox's base URL")
    ap.add_argument("--status-port", type=int, required=True)
    ap.add_argument("--files", type=int, default=0,
                    help="write calendar/ as this many files (0: one calendar.yaml)")
    args = ap.parse_args()

    out = pathlib.Path(args.out)
    (out / "credentials").mkdir(parents=True, exist_ok=True)
    os.chmod(out / "credentials", 0o700)
    for name, content in (("blog", f"user: {WP_USER}\napp_password: {WP_APP_PASSWORD}\n"),
                          ("status-token", "e2e-benchmark-token\n")):
        p = out / "credentials" / name
        p.write_text(content)
        os.chmod(p, 0o600)

    with open(out / "herald.yaml", "w") as f:
        f.write(f"calendar: {'calendar' if args.files else 'calendar.yaml'}\nstate_dir: state\ncredentials_dir: credentials\ntimezone: UTC\n"
                f'status: {{listen: "127.0.0.1:{args.status_port}"}}\nchannels:\n')
        for c in range(args.channels):
            f.write(f'  {channel_name(c)}: {{kind: wordpress, site: "{WP_SITE}", credentials: blog, '
                    f'api_base: "{args.api}"}}\n')

    items = list(deliveries(args.deliveries, args.channels, args.window_start, args.window))
    probe_s = args.window_start + 86400
    if args.files:
        write_split_calendar(out / "calendar", items, probe_s, "Reload probe, first version.", args.files)
    else:
        write_calendar(out / "calendar.yaml", items, probe_s, "Reload probe, first version.")

    jobs = [{"slug": d["post"], "planned_ms": d["planned_s"] * 1000,
             "body": wordpress_body(d["post"], d["title"], d["text"])} for d in items]
    jobs.append({"slug": PROBE_ID, "planned_ms": probe_s * 1000, "probe": True,
                 "body": wordpress_body(PROBE_ID, "Reload probe", "Reload probe, first version.")})
    with open(out / "jobs.json", "w") as f:
        json.dump(jobs, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
