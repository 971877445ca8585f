# Report delivery (docs/delivery.md): a COS bucket with a lifecycle rule and a
# policy scoped to it, and an Event Notifications API source with a Publisher
# policy scoped to the instance. Both are off until their variable is set.

variable "cos_instance_crn" {
  description = "CRN of the Cloud Object Storage instance that holds the reports bucket; null: no output.cos resources."
  type        = string
  default     = null
}

variable "reports_bucket" {
  description = "Name of the reports bucket (output.cos.bucket)."
  type        = string
  default     = "trustjob-reports"
}

variable "reports_bucket_region" {
  description = "Region of the reports bucket (output.cos.endpoint)."
  type        = string
  default     = "us-south"
}

variable "reports_prefix" {
  description = "output.cos.prefix: the lifecycle rule and the policy cover only keys under it."
  type        = string
  default     = "trustjob/"
}

variable "reports_retention_days" {
  description = "Days a report is kept; COS expires it (rounded up to the next midnight UTC)."
  type        = number
  default     = 90

  validation {
    condition     = var.reports_retention_days > 0
    error_message = "reports_retention_days must be positive."
  }
}

variable "cos_latest" {
  description = "output.cos.latest: copy (one Writer policy) or upload (Object Writer + Content Reader)."
  type        = string
  default     = "copy"

  validation {
    condition     = contains(["copy", "upload"], var.cos_latest)
    error_message = "cos_latest must be copy or upload."
  }
}

variable "en_instance_guid" {
  description = "GUID of the Event Notifications instance; null: no notify.eventNotifications resources."
  type        = string
  default     = null
}

locals {
  cos_guid = var.cos_instance_crn == null ? null : split(":", var.cos_instance_crn)[7]
}

resource "ibm_cos_bucket" "reports" {
  count                = var.cos_instance_crn == null ? 0 : 1
  bucket_name          = var.reports_bucket
  resource_instance_id = var.cos_instance_crn
  region_location      = var.reports_bucket_region
  storage_class        = "smart"
}

# Retention is the bucket's job: reports expire after reports_retention_days,
# and parts of an upload a killed Job never completed are removed after a day
# (they are invisible, but cost storage until aborted).
resource "ibm_cos_bucket_lifecycle_configuration" "reports" {
  count           = var.cos_instance_crn == null ? 0 : 1
  bucket_crn      = ibm_cos_bucket.reports[0].crn
  bucket_location = var.reports_bucket_region

  lifecycle_rule {
    rule_id = "trustjob-expire-reports"
    status  = "enable"
    filter {
      prefix = var.reports_prefix
    }
    expiration {
      days = var.reports_retention_days
    }
  }

  lifecycle_rule {
    rule_id = "trustjob-abort-incomplete-uploads"
    status  = "enable"
    filter {
      prefix = var.reports_prefix
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# Writer on this bucket only: upload, server-side copy to latest.*, read the
# change-report baseline, delete doctor's probe object. Not on the instance:
# a more permissive instance-level policy would override the bucket scope.
resource "ibm_iam_trusted_profile_policy" "reports_writer" {
  count       = var.cos_instance_crn != null && var.cos_latest == "copy" ? 1 : 0
  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Writer"]
  description = "trustjob: write reports to bucket ${var.reports_bucket}"

  resources {
    service              = "cloud-object-storage"
    resource_instance_id = local.cos_guid
    resource_type        = "bucket"
    resource             = var.reports_bucket
  }
}

# The narrower pair for output.cos.latest: upload: Object Writer cannot read,
# copy or delete; Content Reader reads the baseline and HEADs the bucket.
resource "ibm_iam_trusted_profile_policy" "reports_object_writer" {
  count       = var.cos_instance_crn != null && var.cos_latest == "upload" ? 1 : 0
  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Object Writer", "Content Reader"]
  description = "trustjob: write reports to bucket ${var.reports_bucket} (latest.* uploaded)"

  resources {
    service              = "cloud-object-storage"
    resource_instance_id = local.cos_guid
    resource_type        = "bucket"
    resource             = var.reports_bucket
  }
}

resource "ibm_en_source" "trustjob" {
  count         = var.en_instance_guid == null ? 0 : 1
  instance_guid = var.en_instance_guid
  name          = "trustjob"
  description   = "trustjob run results (notify.eventNotifications)"
  enabled       = true
}

# Event Notifications Publisher (role ID Event-Notification-Publisher): the
# least role with event-notifications.notifications.post.
resource "ibm_iam_trusted_profile_policy" "notify" {
  count       = var.en_instance_guid == null ? 0 : 1
  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Event Notifications Publisher"]
  description = "trustjob: send run notifications"

  resources {
    service              = "event-notifications"
    resource_instance_id = var.en_instance_guid
  }
}

output "en_source_id" {
  description = "Put this in the trustjob configuration as notify.eventNotifications.sourceID."
  value       = var.en_instance_guid == null ? null : ibm_en_source.trustjob[0].source_id
}
