# trustjob as an IBM Code Engine job: the job with trusted profiles enabled
# (the compute-resource token is mounted at
# /var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token),
# a trusted profile linked to exactly this job, and a cron subscription that
# submits a job run every night. docs/runtimes.md gives the same setup as
# ibmcloud commands. Give the profile its access policies as in
# docs/terraform (the same per-task roles).

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    ibm = {
      source  = "IBM-Cloud/ibm"
      version = ">= 1.78.0"
    }
  }
}

provider "ibm" {
  region = var.region
}

variable "region" {
  type        = string
  description = "Region of the Code Engine project, e.g. us-south."
}

variable "project_id" {
  type        = string
  description = "ID of the Code Engine project the job lives in."
}

variable "job_name" {
  type        = string
  default     = "trustjob"
  description = "Name of the Code Engine job; the trusted profile's link names it."
}

variable "image" {
  type        = string
  default     = "icr.io/trustjob/trustjob:0.1.0"
  description = "trustjob's image; pin it by digest in production."
}

variable "config_yaml" {
  type        = string
  description = "trustjob's configuration (auth.computeResource: code-engine)."
}

variable "schedule" {
  type        = string
  default     = "17 3 * * *"
  description = "Cron schedule of the nightly run; the configuration's schedule must match it."
}

data "ibm_code_engine_project" "this" {
  project_id = var.project_id
}

resource "ibm_iam_trusted_profile" "trustjob" {
  name        = "trustjob-ce-${var.job_name}"
  description = "trustjob Code Engine job ${var.job_name} in project ${var.project_id}"
}

# Trust exactly this job of this project.
resource "ibm_iam_trusted_profile_link" "trustjob" {
  profile_id = ibm_iam_trusted_profile.trustjob.id
  cr_type    = "CE"
  name       = "ce-${var.job_name}"

  link {
    crn            = data.ibm_code_engine_project.this.crn
    component_type = "job"
    component_name = var.job_name
  }
}

# The configuration, mounted read-only at /etc/trustjob/config.yaml.
resource "ibm_code_engine_config_map" "trustjob" {
  project_id = var.project_id
  name       = "${var.job_name}-config"
  data = {
    "config.yaml" = var.config_yaml
  }
}

resource "ibm_code_engine_job" "trustjob" {
  project_id      = var.project_id
  name            = var.job_name
  image_reference = var.image
  run_arguments   = ["run", "--config", "/etc/trustjob/config.yaml", "--log-format", "json"]

  # Mount the compute-resource token trustjob exchanges at IAM.
  run_compute_resource_token_enabled = true

  # One instance, no retries beyond the process's own: exit 77/78 cannot be
  # fixed by a retry, and 75 waits for the next night.
  scale_array_spec              = "0"
  scale_max_execution_time      = 3600
  scale_retry_limit             = 0
  scale_cpu_limit               = "1"
  scale_memory_limit            = "2G"
  scale_ephemeral_storage_limit = "2G"

  run_volume_mounts {
    mount_path = "/etc/trustjob"
    name       = "config"
    reference  = ibm_code_engine_config_map.trustjob.name
    type       = "config_map"
  }
}

output "trusted_profile_id" {
  value       = ibm_iam_trusted_profile.trustjob.id
  description = "Set auth.profileID to this value."
}
