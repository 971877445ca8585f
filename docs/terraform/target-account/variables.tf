variable "account_id" {
  description = "The target account (32 hex digits): the account the provider is signed in to, repeated here for the targets: entry."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.account_id))
    error_message = "account_id must be 32 lowercase hex digits."
  }
}

variable "account_name" {
  description = "A name for the target in trustjob's logs and roll-up."
  type        = string
  default     = ""
}

variable "region" {
  description = "IBM Cloud region for the provider."
  type        = string
  default     = "us-south"
}

variable "profile_name" {
  description = "Name of the trusted profile in the target account."
  type        = string
  default     = "trustjob-runner"
}

variable "cluster_crn" {
  description = "CRN of the cluster that runs trustjob, in ANOTHER account (the hub)."
  type        = string
}

variable "cr_type" {
  description = "IKS_SA for IKS, ROKS_SA for Red Hat OpenShift."
  type        = string
  default     = "IKS_SA"
}

variable "namespace" {
  description = "Namespace of the trustjob pods on the hub cluster."
  type        = string
  default     = "trustjob"
}

variable "service_account" {
  description = "Service account of the trustjob pods on the hub cluster."
  type        = string
  default     = "trustjob"
}

variable "inventory" {
  description = "Grant what the inventory task type needs."
  type        = bool
  default     = true
}

variable "resource_group_ids" {
  description = "Resource groups of the target account the inventory covers."
  type        = list(string)
  default     = []
}

variable "inactive_identities" {
  description = "Grant what the inactive-identities task type needs (report only)."
  type        = bool
  default     = true
}

variable "identity_actions" {
  description = "inactive-identities actions enabled for this target; each adds its write role."
  type        = list(string)
  default     = []
}
