#!/usr/bin/env bash
# The status page with a calendar of 500 posts in one week (issue 17): the
# real `herald run` on two static channels, its page loaded in headless
# Chromium N times (default 10), in real time over the DevTools protocol
# (bench/page_timing.js). Prints, per load, how long the page took to draw the
# week's 500 cards (data-render-ms), how long from asking for the page to the
# week drawn (data-drawn-at-ms: the page, its status and queue, the calendar
# answer, the drawing), and how long GET /api/v1/calendar took to answer
# (its 500 texts composed); then the median and the worst of each.
# Usage: bench/page.sh [BUILD_DIR] [LOADS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
loads=${2:-10}
herald="$build/daemon/herald"
[[ -x $herald ]] || { echo "build herald first ($herald)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium is needed (scripts/setup installs it)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/site" "$dir/credentials"
echo "bench-token" > "$dir/credentials/status-token"
chmod 600 "$dir/credentials/status-token"
cat > "$dir/herald.yaml" <<YAML
calendar: calendar.yaml
state_dir: state
credentials_dir: credentials
timezone: Europe/Amsterdam
status: {listen: "127.0.0.1:$port"}
channels:
  site: {kind: static, dir: site, url: "https://example.nl/{post}/"}
  news: {kind: static, dir: site, url: "https://example.nl/news/{post}/"}
YAML
# 500 posts on one day two days from now, 250 each on two channels, every
# two minutes from 04:00 local: all in the week the page is opened at.
day=$(python3 - "$dir/calendar.yaml" <<'PY'
import datetime, sys, zoneinfo
zone = zoneinfo.ZoneInfo("Europe/Amsterdam")
day = datetime.datetime.now(zone).date() + datetime.timedelta(days=2)
start = datetime.datetime.combine(day, datetime.time(4, 0), zone).astimezone(datetime.timezone.utc)
print(day.isoformat())
with open(sys.argv[1], "w") as f:
    f.write("posts:\n")
    for i in range(500):
        at = start + datetime.timedelta(minutes=2 * i)
        f.write(f'  - {{id: p{i}, at: "{at:%Y-%m-%dT%H:%M:%SZ}", channels: [{"site" if i % 2 else "news"}], '
                f'title: "Post {i}", text: "Post number {i}, with a link https://example.nl/{i} and some words to wrap"}}\n')
PY
)
"$herald" run --config "$dir/herald.yaml" 2> "$dir/herald.log" &
pid=$!
for _ in $(seq 1 200); do grep -q "status endpoint on" "$dir/herald.log" && break; sleep 0.1; done
draws=()
drawn=()
answers=()
command -v node >/dev/null || { echo "node is needed (Debian's nodejs)" >&2; exit 1; }
i=0
while read -r ms at cards; do
  i=$((i + 1))
  answer=$(python3 -c 'import sys, time, urllib.request
t = time.monotonic(); urllib.request.urlopen(sys.argv[1]).read(); print(round((time.monotonic() - t) * 1000))' \
    "http://127.0.0.1:$port/api/v1/calendar?from=${day}T00:00:00Z&to=$(date -u -d "$day + 2 days" +%F)T00:00:00Z")
  echo "load $i: drew $cards cards in ${ms} ms, the week drawn ${at} ms after asking for the page; /api/v1/calendar answered in ${answer} ms"
  draws+=("$ms")
  drawn+=("$at")
  answers+=("$answer")
done < <(node bench/page_timing.js "http://127.0.0.1:$port/#date=$day" "$loads" "$dir/chromium")
python3 - "${draws[*]}" "${drawn[*]}" "${answers[*]}" <<'PY'
import statistics, sys
for name, values in (("drawing the week's cards", sys.argv[1]), ("asking for the page to the week drawn", sys.argv[2]),
                     ("GET /api/v1/calendar", sys.argv[3])):
    v = sorted(int(x) for x in values.split() if x.isdigit())
    if v: print(f"{name}: median {statistics.median(v):.0f} ms, worst {v[-1]} ms over {len(v)} loads")
PY
