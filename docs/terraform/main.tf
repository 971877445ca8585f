# trustjob's IBM Cloud side: a trusted profile that trusts exactly one
# workload (cluster + namespace + service account) and holds least-privilege
# access for the configured task types. docs/iam-setup.md explains each
# resource and gives the equivalent ibmcloud commands and API calls.

locals {
  # crn:v1:bluemix:public:containers-kubernetes:REGION:a/ACCOUNT:CLUSTER_ID::
  cluster_id = element(split(":", var.cluster_crn), 7)

  identity_write_actions = {
    "disable-apikey"            = { service = "iam-identity", role = "Administrator" }
    "lock-apikey"               = { service = "iam-identity", role = "Administrator" }
    "lock-serviceid"            = { service = "iam-identity", role = "Administrator" }
    "remove-from-access-groups" = { service = "iam-groups", role = "Editor" }
  }

  # service => roles, merged so that each service gets one policy.
  identity_write_roles = {
    for a in var.identity_actions :
    local.identity_write_actions[a].service => local.identity_write_actions[a].role...
  }
}

resource "ibm_iam_trusted_profile" "trustjob" {
  name        = var.profile_name
  description = "trustjob CronJob: namespace ${var.namespace}, service account ${var.service_account}, cluster ${local.cluster_id}"
}

# Trust, form A: a link to cluster + namespace + service account.
resource "ibm_iam_trusted_profile_link" "trustjob" {
  count = var.trust == "link" ? 1 : 0

  profile_id = ibm_iam_trusted_profile.trustjob.id
  cr_type    = var.cr_type
  name       = "trustjob-${local.cluster_id}"

  link {
    crn       = var.cluster_crn
    namespace = var.namespace
    name      = var.service_account
  }
}

# Trust, form B: a Profile-CR claim rule pinned to the same three.
resource "ibm_iam_trusted_profile_claim_rule" "trustjob" {
  count = var.trust == "rule" ? 1 : 0

  profile_id = ibm_iam_trusted_profile.trustjob.id
  type       = "Profile-CR"
  cr_type    = var.cr_type
  name       = "trustjob-${local.cluster_id}"

  # Each value is a JSON value written as a string.
  conditions {
    claim    = "service_instance"
    operator = "EQUALS"
    value    = jsonencode(local.cluster_id)
  }
  conditions {
    claim    = "namespace"
    operator = "EQUALS"
    value    = jsonencode(var.namespace)
  }
  conditions {
    claim    = "name"
    operator = "EQUALS"
    value    = jsonencode(var.service_account)
  }
}

# inventory: see the resource groups...
resource "ibm_iam_trusted_profile_policy" "inventory_groups" {
  for_each = var.inventory ? toset(var.resource_group_ids) : toset([])

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Viewer"]
  description = "trustjob inventory: list resource group ${each.value}"

  resources {
    resource_type = "resource-group"
    resource      = each.value
  }
}

# ...and the resource instances and their tags in them (Resource Controller,
# Global Search). Viewer on a group alone does not reveal its resources.
resource "ibm_iam_trusted_profile_policy" "inventory_resources" {
  for_each = var.inventory ? toset(var.resource_group_ids) : toset([])

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Viewer", "Service Configuration Reader"]
  description = "trustjob inventory: resource instances in resource group ${each.value}"

  resources {
    service_type      = "service"
    resource_group_id = each.value
  }
}

# inactive-identities: the activity report, service-ID groups, API keys,
# service IDs, profiles. IBM documents Administrator on IAM Identity for
# managing inactive identities (the report and the disable/lock actions);
# Viewer, which it includes, lists the service-ID groups. Users' own API keys
# stay out of reach whatever the role: only a user manages them.
resource "ibm_iam_trusted_profile_policy" "identity_report" {
  count = var.inactive_identities ? 1 : 0

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Administrator", "API key reviewer"]
  description = "trustjob inactive-identities: report and identity metadata"

  resources {
    service = "iam-identity"
  }
}

resource "ibm_iam_trusted_profile_policy" "identity_users" {
  count = var.inactive_identities ? 1 : 0

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Viewer"]
  description = "trustjob inactive-identities: users"

  resources {
    service = "user-management"
  }
}

resource "ibm_iam_trusted_profile_policy" "identity_groups" {
  count = var.inactive_identities ? 1 : 0

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = ["Viewer"]
  description = "trustjob inactive-identities: access group memberships"

  resources {
    service = "iam-groups"
  }
}

# Write roles, only for the actions enabled in the configuration.
resource "ibm_iam_trusted_profile_policy" "identity_actions" {
  for_each = var.inactive_identities ? local.identity_write_roles : {}

  profile_id  = ibm_iam_trusted_profile.trustjob.id
  roles       = distinct(each.value)
  description = "trustjob inactive-identities actions on ${each.key}"

  resources {
    service = each.key
  }
}
