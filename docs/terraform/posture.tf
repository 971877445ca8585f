# The IAM posture task types: iam-posture, apikey-rotation, unused-policies
# and access-review. Each enabled task type adds the roles it reads with
# (`trustjob tasks` lists them); the write roles only come with the actions
# you enable. Roles are merged per service, so each service gets one policy.

variable "iam_posture" {
  description = "Grant what the iam-posture task type needs (CIS IBM Cloud Foundations Benchmark section 1)."
  type        = bool
  default     = false
}

variable "apikey_rotation" {
  description = "Grant what the apikey-rotation task type needs (report only)."
  type        = bool
  default     = false
}

variable "unused_policies" {
  description = "Grant what the unused-policies task type needs (report only)."
  type        = bool
  default     = false
}

variable "access_review" {
  description = "Grant what the access-review task type needs."
  type        = bool
  default     = false
}

variable "posture_actions" {
  description = "Actions of the posture task types you enable in the configuration; each adds the write role it needs. Empty: report only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.posture_actions : contains(["disable-apikey", "remove-policy"], a)])
    error_message = "posture_actions may hold disable-apikey (apikey-rotation) and remove-policy (unused-policies)."
  }
}

locals {
  # task type => [service, role] pairs it reads with.
  posture_reads = {
    iam_posture = [
      ["iam-identity", "Administrator"], # every user's API keys, the activity and MFA reports, a user's MFA status
      ["iam-identity", "Viewer"],        # account settings
      ["user-management", "Viewer"],
      ["iam-groups", "Viewer"],
      ["iam-access-management", "Viewer"], # every access policy
      ["billing", "Viewer"],               # the account's owner (Account Management); or set options.ownerIAMID
    ]
    apikey_rotation = [["iam-identity", "Administrator"], ["user-management", "Viewer"]]
    unused_policies = [["iam-access-management", "Editor"]] # last-permit data
    access_review = [
      ["iam-access-management", "Viewer"],
      ["iam-groups", "Viewer"],
      ["user-management", "Viewer"],
      ["iam-identity", "Viewer"],
    ]
  }
  posture_enabled = {
    iam_posture     = var.iam_posture
    apikey_rotation = var.apikey_rotation
    unused_policies = var.unused_policies
    access_review   = var.access_review
  }
  posture_writes = {
    "disable-apikey" = ["iam-identity", "Operator"]
    "remove-policy"  = ["iam-access-management", "Administrator"]
  }
  posture_pairs = concat(
    flatten([for t, pairs in local.posture_reads : local.posture_enabled[t] ? pairs : []]),
    [for a in var.posture_actions : local.posture_writes[a]],
  )
  posture_roles = {
    for p in local.posture_pairs : p[0] => p[1]...
  }
}

resource "ibm_iam_trusted_profile_policy" "posture" {
  for_each = local.posture_roles

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = distinct(each.value)
  description = "trustjob IAM posture task types on ${each.key}"

  resources {
    service = each.key
  }
}
