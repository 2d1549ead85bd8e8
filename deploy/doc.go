// Package deploy holds the deployment artifacts of orderstream — the
// Dockerfile, the compose stack, the Helm chart, the Prometheus and Grafana
// configuration — and the tests that check them without a Docker engine or
// a Kubernetes cluster: the chart is rendered with helm and decoded strictly
// into the Kubernetes API types, compose.yaml is checked against the command
// contract, and the Dockerfile's build command is run and its output checked
// to be statically linked. deploy/check.sh runs them with helm lint.
package deploy
