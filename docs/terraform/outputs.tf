output "profile_id" {
  description = "Put this in the trustjob configuration as auth.profileID."
  value       = ibm_iam_trusted_profile.trustjob.id
}

output "profile_iam_id" {
  description = "The iam_id Activity Tracker shows as initiator.id for trustjob's sign-ins."
  value       = "iam-${ibm_iam_trusted_profile.trustjob.id}"
}
