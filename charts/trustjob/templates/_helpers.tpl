{{/* The release's full name: the release name, or release-chart. */}}
{{- define "trustjob.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "trustjob.serviceAccountName" -}}
{{- default (include "trustjob.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "trustjob.configMapName" -}}
{{- printf "%s-config" (include "trustjob.fullname" .) -}}
{{- end -}}

{{/* Selector labels: what the NetworkPolicy selects (the same as manifests/base). */}}
{{- define "trustjob.selectorLabels" -}}
app.kubernetes.io/name: trustjob
app.kubernetes.io/component: runner
{{- end -}}

{{- define "trustjob.labels" -}}
app.kubernetes.io/name: trustjob
app.kubernetes.io/part-of: trustjob
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "trustjob.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* The configuration file: config values plus the CronJob's schedule and zone. */}}
{{- define "trustjob.config" -}}
{{- $cfg := merge (dict "apiVersion" "trustjob/v1" "kind" "Config" "schedule" .Values.schedule "timeZone" .Values.timeZone) (deepCopy .Values.config) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
The Job spec shared by the CronJob and the one-off Job. Call with
(dict "root" $ "args" (list ...)). Field choices: manifests/base/cronjob.yaml.
*/}}
{{- define "trustjob.jobSpec" -}}
{{- $ := .root -}}
{{- if $.Values.indexed.enabled }}
# An Indexed Job (docs/enterprise.md): retries per index, no Job-wide limit.
completionMode: Indexed
completions: {{ $.Values.indexed.completions }}
parallelism: {{ $.Values.indexed.parallelism }}
backoffLimitPerIndex: {{ $.Values.indexed.backoffLimitPerIndex }}
{{- else }}
backoffLimit: {{ $.Values.backoffLimit }}
{{- end }}
activeDeadlineSeconds: {{ $.Values.activeDeadlineSeconds }}
# Fail the Job (an Indexed Job: the index) at once when a retry cannot help:
# 77 (sign-in or permission setup) and 78 (invalid configuration).
podFailurePolicy:
  rules:
    - action: {{ if $.Values.indexed.enabled }}FailIndex{{ else }}FailJob{{ end }}
      onExitCodes:
        containerName: trustjob
        operator: In
        values: [77, 78]
    - action: Ignore
      onPodConditions:
        - type: DisruptionTarget
podReplacementPolicy: Failed
template:
  metadata:
    labels:
      {{- include "trustjob.selectorLabels" $ | nindent 6 }}
      {{- with $.Values.podLabels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with $.Values.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    serviceAccountName: {{ include "trustjob.serviceAccountName" $ }}
    # The API-server token is never mounted; only the projected iam token.
    automountServiceAccountToken: false
    enableServiceLinks: false
    restartPolicy: Never
    terminationGracePeriodSeconds: {{ $.Values.terminationGracePeriodSeconds }}
    securityContext:
      runAsNonRoot: true
      runAsUser: 65532
      runAsGroup: 65532
      fsGroup: 65532
      seccompProfile:
        type: RuntimeDefault
    {{- with $.Values.nodeSelector }}
    nodeSelector:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $.Values.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $.Values.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    containers:
      - name: trustjob
        image: {{ include "trustjob.image" $ }}
        imagePullPolicy: {{ $.Values.image.pullPolicy }}
        args: {{ toJson .args }}
        env:
          - name: GOMEMLIMIT
            valueFrom:
              resourceFieldRef:
                containerName: trustjob
                resource: limits.memory
          {{- if $.Values.indexed.enabled }}
          - name: TRUSTJOB_SHARDS
            value: {{ $.Values.indexed.completions | quote }}
          {{- end }}
        securityContext:
          runAsNonRoot: true
          runAsUser: 65532
          runAsGroup: 65532
          allowPrivilegeEscalation: false
          privileged: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: ["ALL"]
          seccompProfile:
            type: RuntimeDefault
        resources:
          {{- toYaml $.Values.resources | nindent 10 }}
        volumeMounts:
          - name: config
            mountPath: /etc/trustjob
            readOnly: true
          # The whole directory, never subPath: the kubelet rotates the token
          # by swapping a ..data symlink, which subPath mounts miss.
          - name: iam-token
            mountPath: /var/run/secrets/tokens
            readOnly: true
          - name: reports
            mountPath: {{ $.Values.config.output.dir | default "/reports" }}
          - name: tmp
            mountPath: /tmp
    volumes:
      - name: config
        configMap:
          name: {{ include "trustjob.configMapName" $ }}
          defaultMode: 0444
      - name: iam-token
        projected:
          sources:
            - serviceAccountToken:
                audience: {{ $.Values.token.audience }}
                expirationSeconds: {{ $.Values.token.expirationSeconds }}
                path: sa-token
      - name: reports
        {{- if $.Values.reports.existingClaim }}
        persistentVolumeClaim:
          claimName: {{ $.Values.reports.existingClaim }}
        {{- else }}
        emptyDir:
          sizeLimit: {{ $.Values.reports.sizeLimit }}
        {{- end }}
      - name: tmp
        emptyDir:
          sizeLimit: 64Mi
{{- end -}}
