terraform {
  required_version = ">= 1.5.0"

  required_providers {
    ibm = {
      source  = "IBM-Cloud/ibm"
      version = ">= 1.70.0"
    }
  }
}

# The provider authenticates the administrator who runs Terraform, from the
# environment as usual. trustjob itself never uses those credentials.
provider "ibm" {
  region = var.region
}
