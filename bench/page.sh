#!/usr/bin/env bash
# The status page with a calendar of 500 posts this week (issue 17): the real
# `herald run` on a static channel, its page loaded in headless Chromium N
# times (default 10). Prints, per load, how long the page took to draw the
# week (data-render-ms, measured by the page around its drawing) and how long
# GET /api/v1/calendar took to answer (its 500 texts composed), then the
# median and the worst of each. Usage: bench/page.sh [BUILD_DIR] [LOADS]
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
# 500 posts over the coming six days, from an hour from now: 250 each on two channels.
python3 - "$dir/calendar.yaml" <<'PY'
import datetime, sys
start = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) + datetime.timedelta(hours=1)
with open(sys.argv[1], "w") as f:
    f.write("posts:\n")
    for i in range(500):
        at = start + datetime.timedelta(minutes=17 * i)
        f.write(f'  - {{id: p{i}, at: "{at:%Y-%m-%dT%H:%M:%SZ}", channels: [{"site" if i % 2 else "news"}], '
                f'title: "Post {i}", text: "Post number {i}, with a link https://example.nl/{i} and some words to wrap"}}\n')
PY
"$herald" run --config "$dir/herald.yaml" 2> "$dir/herald.log" &
pid=$!
for _ in $(seq 1 200); do grep -q "status endpoint on" "$dir/herald.log" && break; sleep 0.1; done
draws=()
answers=()
for i in $(seq 1 "$loads"); do
  dom=$(chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$dir/chromium" \
        --virtual-time-budget=10000 --window-size=1280,1000 --dump-dom "http://127.0.0.1:$port/" 2>/dev/null)
  ms=$(grep -o 'data-render-ms="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || echo "?")
  cards=$(grep -o '<article class="pc ' <<<"$dom" | wc -l)
  answer=$(python3 -c 'import sys, time, urllib.request
t = time.monotonic(); urllib.request.urlopen(sys.argv[1]).read(); print(round((time.monotonic() - t) * 1000))' \
    "http://127.0.0.1:$port/api/v1/calendar")
  echo "load $i: drew $cards cards in ${ms} ms; /api/v1/calendar answered in ${answer} ms"
  draws+=("$ms")
  answers+=("$answer")
done
python3 - "${draws[*]}" "${answers[*]}" <<'PY'
import statistics, sys
for name, values in (("drawing the week", sys.argv[1]), ("GET /api/v1/calendar", sys.argv[2])):
    v = sorted(int(x) for x in values.split() if x.isdigit())
    if v: print(f"{name}: median {statistics.median(v):.0f} ms, worst {v[-1]} ms over {len(v)} loads")
PY
