variable "region" {
  description = "IBM Cloud region for the provider."
  type        = string
  default     = "us-south"
}

variable "profile_name" {
  description = "Name of the trusted profile trustjob signs in as (auth.profileName in the trustjob configuration)."
  type        = string
  default     = "trustjob-runner"
}

variable "cluster_crn" {
  description = "CRN of the IKS or Red Hat OpenShift cluster that runs trustjob (ibmcloud ks cluster get --cluster NAME --output json | jq -r .crn)."
  type        = string

  validation {
    condition     = can(regex("^crn:v1:[^:]+:[^:]+:containers-(kubernetes|redhat):[^:]*:a/[0-9a-f]+:[^:]+::$", var.cluster_crn))
    error_message = "cluster_crn must be a containers-kubernetes or containers-redhat cluster CRN."
  }
}

variable "cr_type" {
  description = "Compute resource type: IKS_SA for IKS, ROKS_SA for Red Hat OpenShift."
  type        = string
  default     = "IKS_SA"

  validation {
    condition     = contains(["IKS_SA", "ROKS_SA"], var.cr_type)
    error_message = "cr_type must be IKS_SA or ROKS_SA."
  }
}

variable "namespace" {
  description = "Namespace of the trustjob CronJob (manifests/base)."
  type        = string
  default     = "trustjob"

  validation {
    condition     = var.namespace != "default" && var.namespace != ""
    error_message = "Trust a dedicated namespace, never \"default\"."
  }
}

variable "service_account" {
  description = "Service account of the trustjob pods (manifests/base)."
  type        = string
  default     = "trustjob"

  validation {
    condition     = var.service_account != "default" && var.service_account != ""
    error_message = "Trust a dedicated service account, never \"default\": every pod without one runs as default."
  }
}

variable "trust" {
  description = "How the profile trusts the workload: \"link\" (ibm_iam_trusted_profile_link) or \"rule\" (a Profile-CR claim rule pinned to cluster, namespace and service account); \"none\" when the caller adds the trust (target-account/, a cross-account link)."
  type        = string
  default     = "link"

  validation {
    condition     = contains(["link", "rule", "none"], var.trust)
    error_message = "trust must be \"link\", \"rule\" or \"none\"."
  }
}

variable "inventory" {
  description = "Grant what the inventory task type needs."
  type        = bool
  default     = true
}

variable "resource_group_ids" {
  description = "Resource groups the inventory covers (ibmcloud resource groups). Access is granted per group."
  type        = list(string)
  default     = []
}

variable "inactive_identities" {
  description = "Grant what the inactive-identities task type needs (report only)."
  type        = bool
  default     = true
}

variable "identity_actions" {
  description = "inactive-identities actions you enable in the configuration; each adds the write role it needs. Empty: report only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.identity_actions : contains(["disable-apikey", "lock-apikey", "lock-serviceid", "remove-from-access-groups"], a)])
    error_message = "identity_actions may hold disable-apikey, lock-apikey, lock-serviceid and remove-from-access-groups."
  }
}
