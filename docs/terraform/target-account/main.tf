# One target account of an enterprise run (docs/enterprise.md): trustjob's
# trusted profile in THIS account with the policies its tasks need (the
# module one level up, without its own trust), and a link that trusts the
# cluster in ANOTHER account (is_cross_account). Apply it once per target
# account, with the provider signed in to that account:
#
#   for acct in $(cat accounts.txt); do
#     terraform workspace select -or-create "$acct"
#     IC_API_KEY=... terraform apply -var-file="accounts/$acct.tfvars"
#   done
#
# Profile templates cannot carry links (IAM Identity's template body has no
# links field), so this cannot be spread by an enterprise template.

module "profile" {
  source = "../"

  region              = var.region
  profile_name        = var.profile_name
  cluster_crn         = var.cluster_crn
  cr_type             = var.cr_type
  namespace           = var.namespace
  service_account     = var.service_account
  trust               = "none"
  inventory           = var.inventory
  resource_group_ids  = var.resource_group_ids
  inactive_identities = var.inactive_identities
  identity_actions    = var.identity_actions
}

# The cross-account link. The IAM Identity API takes is_cross_account on
# POST /v1/profiles/{id}/links (platform-services-go-sdk 0.97.0 and later);
# the provider's ibm_iam_trusted_profile_link resource, in the versions this
# was checked against, has no such argument, so the link is created with the
# API, as the administrator running Terraform. Replace this with the resource
# once it takes the flag.
locals {
  link_body = jsonencode({
    name             = "trustjob-${element(split(":", var.cluster_crn), 7)}"
    cr_type          = var.cr_type
    is_cross_account = true
    link = {
      crn       = var.cluster_crn
      namespace = var.namespace
      name      = var.service_account
    }
  })
}

resource "terraform_data" "cross_account_link" {
  triggers_replace = [module.profile.profile_id, local.link_body]

  provisioner "local-exec" {
    command = <<-EOT
      set -eu
      token=$(ibmcloud iam oauth-tokens --output JSON | jq -r .iam_token)
      curl -sSf -X POST "https://iam.cloud.ibm.com/v1/profiles/${module.profile.profile_id}/links" \
        -H "Authorization: $token" -H "Content-Type: application/json" -d '${local.link_body}'
    EOT
  }
}
