package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// describeHosts prints, for `trustjob tasks`, the host of every IBM Cloud
// service per endpoints setting: the table README "Private endpoints"
// explains, printed from the one in internal/ibmcloud so the two cannot
// drift (issue 13, F1).
func describeHosts(w io.Writer) {
	fmt.Fprintln(w, "IBM Cloud hosts, per endpoints setting (a *_URL variable overrides one service; `trustjob doctor` shows the choice):")
	seen := map[string]bool{}
	for _, h := range ibmcloud.Hosts {
		cse := strings.Replace(strings.TrimPrefix(h.CSE("us-south"), "https://"), ".us-south.", ".<privateRegion>.", 1)
		south, east := strings.TrimPrefix(h.CSE("us-south"), "https://"), strings.TrimPrefix(h.CSE("us-east"), "https://")
		switch {
		case south == east:
			cse = south
		case !strings.Contains(east, ".us-east."):
			cse = south + " (us-east: " + east + ")"
		}
		line := fmt.Sprintf("public %s; private %s; vpe %s",
			strings.TrimPrefix(h.Public, "https://"), cse, strings.TrimPrefix(h.VPE, "https://"))
		if seen[line] {
			continue // IAM's services share IAM's hosts
		}
		seen[line] = true
		fmt.Fprintf(w, "  %s: %s\n", hostGroup(h.Service), line)
	}
	fmt.Fprintln(w, "  private: IBM's cloud service endpoints, us-south or us-east only (classic clusters, VPC outside the US);")
	fmt.Fprintln(w, "  vpe: global private hosts, each reachable only through a VPE gateway in the cluster's VPC (README, Private endpoints).")
}

func hostGroup(service string) string {
	switch service {
	case ibmcloud.ServiceIAMToken:
		return "iam-token, iam-identity, iam-access-groups, iam-policy-management"
	case ibmcloud.ServiceResourceController:
		return "resource-controller, resource-manager"
	}
	return service
}
