#!/usr/bin/env bash
# Publishing lateness of `herald run` on a static channel: N posts due over
# the next seconds; lateness = the file's modification time minus its planned
# instant. Prints p50, p99 and max in milliseconds.
#
#   bench/lateness.sh [HERALD_BINARY] [POSTS]      (default build/daemon/herald, 60)
set -euo pipefail
herald=$(realpath "${1:-build/daemon/herald}")
posts=${2:-60}
dir=$(mktemp -d /tmp/herald-lateness.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir -p "$dir/site" "$dir/credentials"
# herald does not run without a status token (nobody could pause it).
( umask 077; echo "lateness-bench-token" > "$dir/credentials/status-token" )
cat > "$dir/herald.yaml" <<YAML
calendar: calendar.yaml
state_dir: state
credentials_dir: credentials
timezone: UTC
status: {listen: "127.0.0.1:0"}
channels:
  site: {kind: static, dir: site}
YAML
start=$(( $(date +%s) + 3 ))
{
  echo "posts:"
  for ((i = 0; i < posts; i++)); do
    at=$(date -u -d "@$(( start + i / 4 ))" +%FT%TZ)   # four posts a second
    echo "  - {id: p$i, at: \"$at\", channels: [site], title: \"P $i\", text: \"Body $i\"}"
  done
} > "$dir/calendar.yaml"
"$herald" run --config "$dir/herald.yaml" 2> "$dir/herald.log" &
pid=$!
deadline=$(( start + posts / 4 + 15 ))
while (( $(ls "$dir/site" | wc -l) < posts )) && (( $(date +%s) < deadline )); do sleep 0.2; done
kill -TERM "$pid"; wait "$pid" || true
python3 - "$dir" "$start" "$posts" <<'PY'
import os, sys, statistics
d, start, posts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
late = []
for i in range(posts):
    f = os.path.join(d, "site", f"p{i}.md")
    if not os.path.exists(f):
        print(f"p{i}: NOT PUBLISHED"); continue
    planned = start + i // 4
    late.append((os.stat(f).st_mtime_ns / 1e9 - planned) * 1000)
late.sort()
q = lambda p: late[min(len(late) - 1, int(round(p * (len(late) - 1))))]
print(f"posts {posts}, published {len(late)}; lateness ms: p50 {q(0.5):.1f}, p99 {q(0.99):.1f}, max {late[-1]:.1f}, min {late[0]:.1f}")
PY
