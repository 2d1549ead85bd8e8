#!/usr/bin/env bash
# Deployment checks that need neither a Docker engine nor a Kubernetes
# cluster: helm lint and helm template of the chart (default values and the
# external-Kafka example), then the Go tests of deploy/ (strict decoding of
# every rendered manifest into the Kubernetes API types, compose.yaml against
# the command contract, the Dockerfile's build command producing a static
# binary, the Grafana dashboard's queries).
#
#   deploy/check.sh              everything (builds the binary once)
#   CHECK_SHORT=1 deploy/check.sh   skip the binary build (go test -short)
#
# helm is installed with `go install` (through the Go module proxy) when it
# is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
chart=deploy/helm/orderstream
external=$chart/values-external-kafka.yaml

gobin=$(go env GOBIN)
gobin=${gobin:-$(go env GOPATH)/bin}
export PATH="$PATH:$gobin"

if ! command -v helm >/dev/null 2>&1; then
  echo "== installing helm $HELM_VERSION (go install; a few minutes on a cold module cache)"
  go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
echo "== helm $(helm version --short 2>/dev/null || helm version)"

echo "== helm lint --strict"
helm lint --strict "$chart"
helm lint --strict "$chart" -f "$external"

echo "== helm template"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
helm template orderstream "$chart" --namespace orderstream >"$out/default.yaml"
helm template orderstream "$chart" --namespace orderstream -f "$external" >"$out/external.yaml"
# With prometheus-operator's API served: the PrometheusRule too.
helm template orderstream "$chart" --namespace orderstream --api-versions monitoring.coreos.com/v1 >"$out/operator.yaml"
for f in default external operator; do
  printf '%-9s %s\n' "$f:" "$(grep '^kind:' "$out/$f.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}')"
done

echo "== go test ./deploy/"
short=()
if [ -n "${CHECK_SHORT:-}" ]; then
  short=(-short)
fi
go test "${short[@]}" ./deploy/
