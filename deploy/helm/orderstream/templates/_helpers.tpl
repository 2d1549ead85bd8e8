{{/*
Names, labels and the values every orderstream container shares.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "orderstream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release-qualified name; component suffixes are appended to it, so it is
kept short enough for "-processors-headless" (20 characters) to fit in 63.
*/}}
{{- define "orderstream.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 43 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 43 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 43 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart label value: name-version. */}}
{{- define "orderstream.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one component. Call with (dict "ctx" $ "component" "api").
They never change across upgrades: Deployment and StatefulSet selectors are
immutable.
*/}}
{{- define "orderstream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "orderstream.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component. Call like orderstream.selectorLabels. */}}
{{- define "orderstream.labels" -}}
helm.sh/chart: {{ include "orderstream.chart" .ctx }}
{{ include "orderstream.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: orderstream
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* The orderstream image reference. */}}
{{- define "orderstream.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The bundled Kafka's client Service and its headless Service. */}}
{{- define "orderstream.kafka.fullname" -}}
{{- printf "%s-kafka" (include "orderstream.fullname" .) }}
{{- end }}
{{- define "orderstream.kafka.headless" -}}
{{- printf "%s-kafka-headless" (include "orderstream.fullname" .) }}
{{- end }}

{{/*
The bootstrap brokers every orderstream container gets: the bundled Kafka's
client Service, or kafka.brokers. Rendering fails without either.
*/}}
{{- define "orderstream.brokers" -}}
{{- if .Values.kafka.enabled }}
{{- printf "%s:9092" (include "orderstream.kafka.fullname" .) }}
{{- else }}
{{- $brokers := trim (toString .Values.kafka.brokers) }}
{{- if not $brokers }}
{{- fail "kafka.brokers is required when kafka.enabled=false: set it to the bootstrap servers of your Kafka cluster, e.g. --set kafka.brokers=my-cluster-kafka-bootstrap.kafka:9092" }}
{{- end }}
{{- $brokers }}
{{- end }}
{{- end }}

{{/*
Environment shared by every orderstream container: the Kafka connection
flags (all Kafka commands accept them) and the log level, as ORDERSTREAM_*.
*/}}
{{- define "orderstream.env" -}}
- name: ORDERSTREAM_BROKERS
  value: {{ include "orderstream.brokers" . | quote }}
- name: ORDERSTREAM_PARTITIONS
  value: {{ .Values.topics.partitions | quote }}
- name: ORDERSTREAM_REPLICATION
  value: {{ .Values.topics.replication | quote }}
- name: ORDERSTREAM_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod-level settings of every orderstream pod: no API token (nothing here talks
to the Kubernetes API), no service-link environment variables (a Service
called "kafka" would otherwise inject KAFKA_* variables), the pod security
context and the pull secrets.
*/}}
{{- define "orderstream.podDefaults" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Scheduling constraints of one component's values (nodeSelector, tolerations, affinity). */}}
{{- define "orderstream.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The bundled RabbitMQ's Service, and the Secret holding the AMQP URL. */}}
{{- define "orderstream.rabbitmq.fullname" -}}
{{- printf "%s-rabbitmq" (include "orderstream.fullname" .) }}
{{- end }}

{{/* The AMQP URL of the relay and the workers: rabbitmq.url or the bundled node. */}}
{{- define "orderstream.amqpURL" -}}
{{- if .Values.rabbitmq.url }}
{{- .Values.rabbitmq.url }}
{{- else }}
{{- printf "amqp://%s:%s@%s:5672/" (urlquery .Values.rabbitmq.user) (urlquery .Values.rabbitmq.password) (include "orderstream.rabbitmq.fullname" .) }}
{{- end }}
{{- end }}

{{/* ORDERSTREAM_AMQP_URL from the chart's Secret. */}}
{{- define "orderstream.amqpEnv" -}}
- name: ORDERSTREAM_AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "orderstream.rabbitmq.fullname" . }}
      key: url
{{- end }}
