#!/usr/bin/env bash
# The Debian package, end to end: scripts/package builds it; lintian finds
# no error and no warning (the few accepted ones are overridden, with their
# reasons, in packaging/lintian-overrides); dpkg installs it on this machine;
# the installed /usr/bin/herald checks the installed example /etc/herald;
# the conffiles are registered, an edited one survives a reinstall and an
# upgrade; remove and purge leave the machine as it was.
#
#   tests/package/deb_test.sh SOURCE_DIR
#
# Needs root (dpkg -i); exits 77 (ctest: skipped) when not root, or when a
# herald is installed here already (the test would replace it). It owns
# /usr/bin/herald and /etc/herald while it runs; no other test uses them, so
# ctest runs it beside the others, first (tests/CMakeLists.txt).
set -euo pipefail
test_started=$(date +%s)
source_dir=$(cd "${1:?usage: deb_test.sh SOURCE_DIR}" && pwd)
cd "$source_dir"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
skip() { echo "SKIP: $*" >&2; exit 77; }

if [[ $(id -u) -ne 0 ]]; then
  skip "dpkg -i needs root (CI runs the tests as root)"
fi
for tool in lintian dpkg-deb dpkg-shlibdeps dpkg-buildflags file readelf objcopy gzip man; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing: run scripts/setup" >&2; exit 1; }
done
# One run at a time on this machine (two checkouts' test suites at once
# would install over each other).
exec 9>/tmp/herald-package-test.lock
flock 9
# Paths the package owns; none may be there before it (someone's herald).
owned=(/usr/bin/herald /etc/herald /usr/lib/systemd/system/herald.service /lib/systemd/system/herald.service
  /usr/share/doc/herald /usr/share/man/man1/herald.1.gz /var/lib/herald /var/lib/private/herald)
if dpkg-query -W -f='${Status}' herald 2>/dev/null | grep -qv "not-installed"; then
  skip "the package herald is installed on this machine; the test would replace it"
fi
for p in "${owned[@]}"; do
  [[ -e $p || -L $p ]] && skip "$p exists; the test would replace it"
done

work=$(mktemp -d /tmp/herald-deb-test.XXXXXX)
installed=
cleanup() {
  if [[ -n $installed ]]; then
    dpkg --purge herald >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- build -------------------------------------------------------------------
started=$(date +%s)
deb=$(./scripts/package)
echo "scripts/package: $deb in $(($(date +%s) - started)) s"
[[ -f $deb ]] || { echo "FAIL: scripts/package printed no .deb" >&2; exit 1; }

version=$(sed -n 's/^project(herald VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[[ $(basename "$deb") == "herald_${version}_amd64.deb" ]] && pass "file name $(basename "$deb")" ||
  fail "file name $(basename "$deb"), expected herald_${version}_amd64.deb"
[[ -f $(dirname "$deb")/herald-dbgsym_${version}_amd64.ddeb ]] && pass "debug symbols in herald-dbgsym_${version}_amd64.ddeb" ||
  fail "no herald-dbgsym_${version}_amd64.ddeb beside the package"

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == herald && $(field Version) == "$version" && $(field Architecture) == amd64 ]] &&
  pass "control: herald $version amd64" || fail "control: $(field Package) $(field Version) $(field Architecture)"

# Contents.
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"
for f in usr/bin/herald usr/lib/systemd/system/herald.service usr/share/man/man1/herald.1.gz \
  usr/share/doc/herald/copyright usr/share/doc/herald/changelog.gz usr/share/doc/herald/operations.md \
  usr/share/doc/herald/calendar.md etc/herald/herald.yaml etc/herald/calendar.yaml etc/herald/credentials/README; do
  [[ -f $work/root/$f ]] || fail "the package has no /$f"
done
grep -qx 'ExecStart=/usr/bin/herald run --config /etc/herald/herald.yaml' "$work/root/usr/lib/systemd/system/herald.service" &&
  pass "the unit starts /usr/bin/herald" || fail "the unit's ExecStart= is not /usr/bin/herald"
[[ $(stat -c %a "$work/root/etc/herald/credentials") == 700 ]] || fail "/etc/herald/credentials is not 0700"

# Every file in /etc is a conffile, and every conffile is in the package.
diff <(cd "$work/root" && find etc -type f | sed 's|^|/|' | sort) <(sort "$work/control/conffiles") >/dev/null &&
  pass "conffiles: $(tr '\n' ' ' <"$work/control/conffiles")" ||
  fail "conffiles $(tr '\n' ' ' <"$work/control/conffiles") are not the files in /etc: $(cd "$work/root" && find etc -type f | tr '\n' ' ')"

# The release binary: stripped, no crash-test fault points.
bin=$work/root/usr/bin/herald
file -b "$bin" | grep -q ', stripped' && pass "the binary is stripped" || fail "the binary is not stripped: $(file -b "$bin")"
if grep -aq HERALD_FAULT "$bin"; then fail "the binary has the crash test's fault points (HERALD_FAULT)"; else pass "no fault points"; fi

# Depends: for each library the binary links, the package that holds it here.
depends=$(field Depends)
depends_names=" $(sed 's/ *([^)]*)//g; s/,/ /g' <<<"$depends" | tr -s ' ') "
depends_ok=1
for soname in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ {print $NF; exit}')
  owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || owner=
  [[ -z $owner ]] && owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
  if [[ -z $owner ]]; then
    fail "$soname ($path) belongs to no Debian package"; depends_ok=
  elif [[ $depends_names != *" $owner "* ]]; then
    fail "Depends lacks $owner (for $soname): $depends"; depends_ok=
  fi
done
[[ $depends_names == *" tzdata "* ]] || { fail "Depends lacks tzdata"; depends_ok=; }
[[ -n $depends_ok ]] && pass "Depends: $depends"

# --- lintian -----------------------------------------------------------------
started=$(date +%s)
lintian_status=0
lintian --fail-on error,warning --display-info --color never "$deb" >"$work/lintian.out" 2>&1 || lintian_status=$?
sed 's/^/  lintian: /' "$work/lintian.out"
if ((lintian_status != 0)); then
  fail "lintian found errors or warnings (exit $lintian_status)"
else
  pass "lintian: no error, no warning ($(grep -c '^I: ' "$work/lintian.out" || true) info tags, $(($(date +%s) - started)) s)"
fi

# --- install -----------------------------------------------------------------
installed=1
dpkg -i "$deb" </dev/null >"$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; echo "FAIL: dpkg -i" >&2; exit 1; }
[[ $(dpkg-query -W -f='${Status} ${Version}' herald) == "install ok installed $version" ]] &&
  pass "dpkg -i: installed" || fail "dpkg -i: $(dpkg-query -W -f='${Status} ${Version}' herald)"

[[ $(/usr/bin/herald version) == *"$version"* ]] && pass "herald version: $(/usr/bin/herald version)" ||
  fail "herald version says $(/usr/bin/herald version)"
check_installed() {
  local out status=0
  out=$(/usr/bin/herald check --config /etc/herald/herald.yaml 2>&1) || status=$?
  if ((status == 0)); then pass "$1: herald check: $out"; else fail "$1: herald check (exit $status): $out"; fi
}
check_installed "installed"

# systemd accepts the installed unit: its ExecStart= binary exists and its
# Documentation= man page is there (verify runs man for man: links).
if command -v systemd-analyze >/dev/null; then
  verify=$(systemd-analyze verify /usr/lib/systemd/system/herald.service 2>&1) || true
  if grep -q "herald" <<<"$verify"; then fail "systemd-analyze verify: $verify"; else pass "systemd-analyze verify"; fi
fi

# The man page is found, and describes every command the binary has.
[[ $(man -w herald 2>/dev/null) == /usr/share/man/man1/herald.1.gz ]] && pass "man -w herald" || fail "man -w herald: $(man -w herald 2>&1)"
commands=$(/usr/bin/herald --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}')
[[ -n $commands ]] || fail "herald --help lists no commands"
for c in $commands; do
  zgrep -q "^\.SS herald $c\b" /usr/share/man/man1/herald.1.gz || fail "herald(1) has no section for 'herald $c'"
done
pass "herald(1) describes $(wc -w <<<"$commands") commands"

# dpkg knows the conffiles (dpkg-query lists each with its md5sum).
conffiles=$(dpkg-query -W -f='${Conffiles}\n' herald)
for f in $(cat "$work/control/conffiles"); do
  grep -q "^ $f [0-9a-f]\{32\}$" <<<"$conffiles" || fail "dpkg-query does not list the conffile $f: $conffiles"
done
pass "dpkg-query lists $(grep -c . <<<"$conffiles") conffiles"

# Installed, not enabled: the operator enables it once the credentials are in.
[[ -e /var/lib/systemd/deb-systemd-helper-enabled/herald.service.dsh-also ]] &&
  pass "deb-systemd-helper knows the unit" || fail "postinst did not record the unit with deb-systemd-helper"
[[ ! -e /etc/systemd/system/multi-user.target.wants/herald.service ]] && pass "not enabled on install" ||
  fail "the package enabled herald.service"

# An edited conffile survives a reinstall of the same version...
echo "# kept: the operator's edit" >>/etc/herald/herald.yaml
edited=$(md5sum </etc/herald/herald.yaml)
dpkg -i "$deb" </dev/null >"$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; fail "dpkg -i (reinstall)"; }
[[ $(md5sum </etc/herald/herald.yaml) == "$edited" ]] && pass "reinstall keeps the edited herald.yaml" ||
  fail "reinstall replaced the edited /etc/herald/herald.yaml"

# ...and an upgrade whose own copy changed: with --force-confold (what apt
# does when told to keep local files; without it dpkg asks) the operator's
# file stays and the new one is beside it as .dpkg-dist; an unedited
# conffile (calendar.yaml) becomes the new version's.
dpkg-deb -R "$deb" "$work/next"
next=${version}+test1
sed -i "s/^Version: .*/Version: $next/" "$work/next/DEBIAN/control"
echo "# the next version's settings" >>"$work/next/etc/herald/herald.yaml"
echo "# the next version's calendar" >>"$work/next/etc/herald/calendar.yaml"
(cd "$work/next" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -Zxz -b "$work/next" "$work/herald_${next}_amd64.deb" >/dev/null
dpkg -i --force-confold "$work/herald_${next}_amd64.deb" </dev/null >"$work/dpkg.out" 2>&1 ||
  { cat "$work/dpkg.out"; fail "dpkg -i (upgrade to $next)"; }
[[ $(dpkg-query -W -f='${Version}' herald) == "$next" ]] && pass "upgraded to $next" || fail "not upgraded to $next"
[[ $(md5sum </etc/herald/herald.yaml) == "$edited" ]] && pass "upgrade keeps the edited herald.yaml" ||
  fail "upgrade replaced the edited /etc/herald/herald.yaml"
cmp -s /etc/herald/herald.yaml.dpkg-dist "$work/next/etc/herald/herald.yaml" && pass "the new herald.yaml is beside it (.dpkg-dist)" ||
  fail "no /etc/herald/herald.yaml.dpkg-dist with the new version's file"
cmp -s /etc/herald/calendar.yaml "$work/next/etc/herald/calendar.yaml" && pass "the unedited calendar.yaml is the new version's" ||
  fail "the unedited /etc/herald/calendar.yaml was not upgraded"
check_installed "upgraded"

# --- remove and purge ----------------------------------------------------------
dpkg --remove herald </dev/null >"$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; fail "dpkg --remove"; }
[[ ! -e /usr/bin/herald && -f /etc/herald/herald.yaml ]] && pass "remove: the binary goes, the settings stay" ||
  fail "remove: /usr/bin/herald or /etc/herald/herald.yaml is wrong"
dpkg --purge herald </dev/null >"$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; fail "dpkg --purge"; }
installed=
for p in "${owned[@]}" /var/lib/systemd/deb-systemd-helper-enabled/herald.service.dsh-also; do
  [[ -e $p || -L $p ]] && fail "purge left $p"
done
dpkg-query -W -f='${Status}' herald 2>/dev/null | grep -q "install ok" && fail "purge: dpkg still lists herald"
pass "purge: nothing of herald is left"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed in $(($(date +%s) - test_started)) s"
