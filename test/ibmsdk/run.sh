#!/usr/bin/env bash
# Runs IBM's own integration tests of platform-services-go-sdk (the version in
# go.mod) against trustjob's emulator, for the services trustjob calls.
#
# The tests (<pkg>/<pkg>_integration_test.go, build tag `integration`) are
# copied from the module cache into a scratch module, the emulator is started
# with test/ibmsdk/emulator (which signs in through the cr-token exchange and
# writes the credentials files the tests read, AUTH_TYPE=bearerToken), and
# each package runs with the specs listed in test/ibmsdk/excluded.txt skipped,
# each there with its reason. Every spec that runs must pass.
#
#   bash test/ibmsdk/run.sh            # prints "IBM integration tests: P passed of R run, X excluded"
#   KEEP=1 bash test/ibmsdk/run.sh     # keep the scratch directory (logs, request log)
#   PKGS="globalsearchv2" bash test/ibmsdk/run.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

sdk=github.com/IBM/platform-services-go-sdk
ver=$(go list -m -f '{{.Version}}' "$sdk")
core_ver=$(go list -m -f '{{.Version}}' github.com/IBM/go-sdk-core/v5)
dir=$(go list -m -f '{{.Dir}}' "$sdk")
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  go mod download "$sdk"
  dir=$(go list -m -f '{{.Dir}}' "$sdk")
fi
pkgs=${PKGS:-"accountmanagementv4 globalsearchv2 globaltaggingv1 iamaccessgroupsv2 iamidentityv1 iampolicymanagementv1 resourcecontrollerv2 resourcemanagerv2 usagereportsv4 usermanagementv1"}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ibmsdk.XXXXXX")
emu_pid=
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$scratch"; else echo "scratch kept: $scratch" >&2; fi
}
trap cleanup EXIT

# The scratch module: IBM's test files, unchanged, one folder per package; the
# credentials files sit one level up, where the tests look ("../<svc>.env").
mod=$scratch/mod
mkdir -p "$mod"
for p in $pkgs; do
  mkdir -p "$mod/$p"
  cp "$dir/$p/"*_integration_test.go "$dir/$p/"*_suite_test.go "$mod/$p/"
  chmod u+w "$mod/$p/"*
done
ginkgo=$(awk '$1=="github.com/onsi/ginkgo"{print $2}' "$dir/go.mod")
gomega=$(awk '$1=="github.com/onsi/gomega"{print $2}' "$dir/go.mod")
cat >"$mod/go.mod" <<EOF
module ibmsdkit

go 1.24

require (
	$sdk $ver
	github.com/IBM/go-sdk-core/v5 $core_ver
	github.com/onsi/ginkgo $ginkgo
	github.com/onsi/gomega $gomega
)
EOF
(cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod tidy)

# The emulator, signed in; it writes the credentials files into $mod.
go build -o "$scratch/emulator" ./test/ibmsdk/emulator
"$scratch/emulator" "$mod" >"$scratch/emulator.log" 2>&1 &
emu_pid=$!
for _ in $(seq 1 100); do
  [ -f "$mod/ready" ] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$scratch/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -f "$mod/ready" ] || { echo "emulator did not start" >&2; exit 1; }

# skip regex per package from excluded.txt: "<pkg> | <spec text regex> | <reason>".
skip_for() {
  awk -F' [|] ' -v p="$1" '$0 !~ /^#/ && $1==p {print $2}' "$here/excluded.txt" | paste -sd'|' -
}

passed=0 ran=0 excluded=0 failed=0
for p in $pkgs; do
  skip=$(skip_for "$p")
  args=(-tags integration -count=1 -v "./$p/")
  set +e
  (cd "$mod" && go test "${args[@]}" -args -ginkgo.noColor -ginkgo.v ${skip:+"-ginkgo.skip=$skip"}) >"$scratch/$p.log" 2>&1
  set -e
  line=$(grep -E '^(SUCCESS|FAIL)! -- ' "$scratch/$p.log" | tail -1 || true)
  total=$(grep -oE 'Ran [0-9]+ of [0-9]+ Specs' "$scratch/$p.log" | tail -1 || true)
  if [ -z "$line" ] || [ -z "$total" ]; then
    echo "$p: no ginkgo summary" >&2; tail -30 "$scratch/$p.log" >&2; failed=$((failed + 1)); continue
  fi
  pp=$(sed -E 's/.*-- ([0-9]+) Passed.*/\1/' <<<"$line")
  ff=$(sed -E 's/.*\| ([0-9]+) Failed.*/\1/' <<<"$line")
  r=$(sed -E 's/Ran ([0-9]+) of.*/\1/' <<<"$total")
  all=$(sed -E 's/.* of ([0-9]+) Specs/\1/' <<<"$total")
  printf '%-24s %3d passed of %3d run, %3d excluded\n' "$p" "$pp" "$r" "$((all - r))"
  passed=$((passed + pp)) ran=$((ran + r)) excluded=$((excluded + all - r)) failed=$((failed + ff))
  if [ "$ff" != 0 ]; then
    { grep -E '^\[Fail\]' "$scratch/$p.log" || true; } | head -40 >&2
  fi
done
echo "IBM integration tests ($sdk@$ver): $passed passed of $ran run, $excluded excluded"
kill "$emu_pid" 2>/dev/null || true
wait "$emu_pid" 2>/dev/null || true
emu_pid=
if [ -f "$mod/requests.json" ] && command -v python3 >/dev/null; then
  python3 - "$mod/requests.json" <<'EOF'
import json, sys
n = [e for e in json.load(open(sys.argv[1])) if e.get("not_emulated")]
print(f"requests for routes the emulator does not serve (answered 501): {len(n)}")
EOF
fi
[ "$failed" = 0 ]
