#!/usr/bin/env bash
# trustjob's packaging checks, run by .ci/run (and by `make e2e`):
#
#   test/e2e/run.sh [STEP...]      default: every step, in this order
#
#   manifests      render base, overlays and the one-off Job; check them against
#                  the binary's contracts (manifests/*_test.go, in the product
#                  module) and decode every object strictly into k8s.io/api
#                  (test/e2e, its own module)
#   kube-score     no CRITICAL finding on the rendered manifests
#   chart          helm lint charts/trustjob (strict); the chart's tests run in
#                  `manifests` (render, decode, compare with manifests/base)
#   hclfmt         docs/terraform/*.tf and docs/codeengine/*.tf parse and are formatted
#   units          deploy/systemd units pass systemd-analyze verify (when present)
#   control-plane  etcd + kube-apiserver + kube-controller-manager on loopback:
#                  apply, create a Job from the CronJob, play the kubelet and run
#                  trustjob against the emulator (test/e2e/controlplane)
#
# It installs what it needs on a fresh machine: Debian's etcd-server (apt-get),
# Kubernetes binaries built from k8s.io/kubernetes in test/e2e/tools (cached in
# test/e2e/.cache/bin, which git ignores), pinned tools through `go run`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E="$ROOT/test/e2e"
CACHE="$E2E/.cache"
BIN="$CACHE/bin"
RENDERED="$CACHE/rendered"

KUBE_SCORE_VERSION=v1.20.0
HELM_VERSION=v3.22.0
# The cluster version helm template and lint assume (a go-installed helm
# defaults to v1.20, below the chart's kubeVersion).
HELM_KUBE_VERSION=1.34.0
HCL_VERSION=v2.24.0

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step_start=0
step() { printf '\n==> e2e: %s\n' "$*"; step_start=$(date +%s); }
done_step() { printf '<== e2e: %s: ok in %ss\n' "$1" "$(($(date +%s) - step_start))"; }

# The Kubernetes binaries of the tools module (one build; later runs reuse the
# Go build cache and take seconds).
build_kube() {
  local want=("$@")
  local missing=()
  for b in "${want[@]}"; do
    [ -x "$BIN/$b" ] && [ "$BIN/$b" -nt "$E2E/tools/go.mod" ] || missing+=("$b")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mkdir -p "$BIN"
  local pkgs=()
  for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  echo "building ${missing[*]} from $(grep -m1 '^require k8s.io/kubernetes' "$E2E/tools/go.mod" | cut -d' ' -f2-3)"
  local t0; t0=$(date +%s)
  (cd "$E2E/tools" && go build -trimpath -ldflags '-s -w' -o "$BIN/" "${pkgs[@]}")
  echo "built in $(($(date +%s) - t0))s"
}

# kubectl: $KUBECTL, else the one on PATH, else built from the tools module.
find_kubectl() {
  if [ -n "${KUBECTL:-}" ]; then return; fi
  if command -v kubectl >/dev/null 2>&1; then
    KUBECTL=$(command -v kubectl)
  else
    build_kube kubectl
    KUBECTL="$BIN/kubectl"
  fi
  export KUBECTL
}

# helm: $HELM, else the pinned one installed into the cache with go install.
find_helm() {
  if [ -n "${HELM:-}" ]; then return; fi
  # A go-installed helm prints no patch version: a stamp file says which.
  if [ ! -x "$BIN/helm" ] || [ "$(cat "$BIN/helm.version" 2>/dev/null)" != "$HELM_VERSION" ]; then
    echo "installing helm $HELM_VERSION (go install)"
    mkdir -p "$BIN"
    local t0; t0=$(date +%s)
    GOBIN="$BIN" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    echo "$HELM_VERSION" > "$BIN/helm.version"
    echo "installed in $(($(date +%s) - t0))s"
  fi
  HELM="$BIN/helm"
  export HELM
}

render_all() {
  mkdir -p "$RENDERED"
  rm -f "$RENDERED"/*.yaml
  for dir in base overlays/private-endpoints overlays/example-account overlays/enterprise-indexed; do
    "$KUBECTL" kustomize "$ROOT/manifests/$dir" > "$RENDERED/${dir//\//-}.yaml"
  done
  cp "$ROOT/manifests/job/job.yaml" "$RENDERED/job.yaml"
  find_helm
  "$HELM" template trustjob "$ROOT/charts/trustjob" -n trustjob --kube-version "$HELM_KUBE_VERSION" > "$RENDERED/chart-default.yaml"
  "$HELM" template trustjob "$ROOT/charts/trustjob" -n trustjob --kube-version "$HELM_KUBE_VERSION" --set oneOffJob.enabled=true \
    --set reports.existingClaim=trustjob-reports > "$RENDERED/chart-options.yaml"
}

run_manifests() {
  step "manifests"
  find_kubectl
  echo "kubectl: $KUBECTL ($("$KUBECTL" version --client 2>/dev/null | head -1))"
  (cd "$ROOT" && TRUSTJOB_REQUIRE_KUBECTL=1 go test -count=1 ./manifests/)
  # -mod=mod: the e2e module follows the product module's requirements
  # through its replace; let go add what a product change needs.
  find_helm
  (cd "$E2E" && HELM="$HELM" TRUSTJOB_REQUIRE_HELM=1 go test -mod=mod -count=1 .)
  done_step manifests
}

run_kube_score() {
  step "kube-score $KUBE_SCORE_VERSION"
  find_kubectl
  render_all
  local out rc=0
  # container-seccomp-profile is optional in kube-score; the manifests meet it.
  out=$(cd "$E2E" && go run "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" score \
    --output-format ci --enable-optional-test container-seccomp-profile "$RENDERED"/*.yaml) || rc=$?
  echo "$out" | grep -v -e '^\[OK\]' -e '^\[SKIPPED\]' || true
  if echo "$out" | grep -q '^\[CRITICAL\]'; then
    echo "kube-score reported CRITICAL findings"; exit 1
  fi
  if [ "$rc" -ne 0 ]; then
    echo "kube-score exited $rc"; exit 1
  fi
  echo "$(echo "$out" | grep -c '^\[OK\]') checks OK, no CRITICAL"
  done_step kube-score
}

run_chart() {
  step "chart (helm $HELM_VERSION lint)"
  find_helm
  "$HELM" lint --strict --kube-version "$HELM_KUBE_VERSION" "$ROOT/charts/trustjob"
  "$HELM" lint --strict --kube-version "$HELM_KUBE_VERSION" "$ROOT/charts/trustjob" \
    --set oneOffJob.enabled=true --set config.metrics.pushgateway.url=http://pg:9091
  done_step chart
}

run_units() {
  step "units (deploy/systemd)"
  if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not installed: skipped"; done_step units; return
  fi
  local d; d=$(mktemp -d)
  cp "$ROOT"/deploy/systemd/trustjob.service "$ROOT"/deploy/systemd/trustjob.timer "$d/"
  # verify wants ExecStart's binary to exist: point it at a stand-in.
  sed -i "s|/usr/local/bin/trustjob|$(command -v true)|" "$d/trustjob.service"
  (cd "$d" && systemd-analyze verify --man=no ./trustjob.service ./trustjob.timer)
  (cd "$d" && systemd-analyze security --offline=yes --threshold=20 ./trustjob.service | tail -1)
  rm -rf "$d"
  "$ROOT/bin/trustjob" validate "$ROOT/deploy/systemd/config.yaml" 2>/dev/null || (cd "$ROOT" && go run ./cmd/trustjob validate deploy/systemd/config.yaml)
  done_step units
}

run_hclfmt() {
  step "hclfmt $HCL_VERSION (docs/terraform, docs/codeengine)"
  local files=("$ROOT"/docs/terraform/*.tf "$ROOT"/docs/terraform/*/*.tf "$ROOT"/docs/codeengine/*.tf)
  # -check fails on a syntax error (alone, hclfmt exits 0 on one);
  # -require-no-change fails when formatting would change a file.
  (cd "$E2E" && go run "github.com/hashicorp/hcl/v2/cmd/hclfmt@$HCL_VERSION" -check -require-no-change "${files[@]}" >/dev/null) || {
    echo "hclfmt: docs/terraform is not valid HCL or not formatted (fix: go run github.com/hashicorp/hcl/v2/cmd/hclfmt@$HCL_VERSION -w docs/terraform/*.tf)"
    exit 1
  }
  echo "${#files[@]} files parse and are formatted"
  done_step hclfmt
}

ensure_etcd() {
  if [ -n "${ETCD:-}" ] || command -v etcd >/dev/null 2>&1; then return; fi
  echo "installing Debian's etcd-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's service is not started here (no init system); the test
  # starts its own etcd on free loopback ports.
  apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
}

run_control_plane() {
  step "control plane"
  ensure_etcd
  build_kube kube-apiserver kube-controller-manager kubectl
  (cd "$ROOT" && make --no-print-directory build BIN="$BIN/trustjob")
  find_helm
  (cd "$E2E" && E2E_BIN_DIR="$BIN" TRUSTJOB_BIN="$BIN/trustjob" KUBECTL="$BIN/kubectl" HELM="$HELM" \
    go test -mod=mod -count=1 -v -timeout 15m ./controlplane/)
  done_step control-plane
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(manifests chart kube-score hclfmt units control-plane)
total_start=$(date +%s)
for s in "${steps[@]}"; do
  case "$s" in
    manifests) run_manifests ;;
    kube-score) run_kube_score ;;
    chart) run_chart ;;
    hclfmt) run_hclfmt ;;
    units) run_units ;;
    control-plane) run_control_plane ;;
    *) echo "unknown step $s (want manifests, chart, kube-score, hclfmt, units, control-plane)"; exit 2 ;;
  esac
done
echo
echo "e2e: ${steps[*]}: all passed in $(($(date +%s) - total_start))s"
