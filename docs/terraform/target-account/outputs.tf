output "profile_id" {
  description = "The target's profileID in the trustjob configuration."
  value       = module.profile.profile_id
}

output "target" {
  description = "The targets: entry for this account (YAML-ready), or enterprise.profiles' key and value."
  value = {
    account   = var.account_id
    name      = var.account_name
    profileID = module.profile.profile_id
  }
}
