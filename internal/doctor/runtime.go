package doctor

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// Trust setup per compute resource, as the doctor explains it.
const (
	kubeTrust = "the trusted profile needs a link (cr_type IKS_SA or ROKS_SA, the cluster's CRN, namespace and " +
		"service account) or a Profile-CR claim rule matching them (docs/iam-setup.md)"
	ceTrust = "the job needs trusted profiles enabled (`ibmcloud ce job update --name JOB --trusted-profiles-enabled=true`), " +
		"and the profile a CE link: `ibmcloud iam trusted-profile-link-create PROFILE --name ce-JOB --cr-type CE " +
		"--link-crn PROJECT_CRN --link-component-type job --link-component-name JOB` (docs/runtimes.md)"
	vpcTrust = "the instance needs the metadata service enabled (`ibmcloud is instance-update INSTANCE --metadata-service true`) " +
		"and a link to the profile: created with --default-trusted-profile PROFILE, or " +
		"`ibmcloud iam trusted-profile-link-create PROFILE --name vsi-NAME --cr-type VSI --link-crn INSTANCE_CRN` " +
		"(docs/runtimes.md)"
)

// runtime says where trustjob believes it runs and what trust that needs. On
// a VPC instance it walks that chain itself (metadata service, exchange,
// probes) and returns false so Run skips the token-file checks; otherwise it
// returns true and the token-file chain follows.
func (d *run) runtime(ctx context.Context) bool {
	a := d.in.Config.Auth
	switch a.Compute() {
	case config.ComputeCodeEngine:
		job := d.in.Getenv("CE_JOB")
		where := "Code Engine job"
		if job != "" {
			where += " " + job
		}
		d.add("compute resource", OK, fmt.Sprintf("%s: compute-resource token %s; %s", where, a.CRTokenFile, ceTrust), "")
		return true
	case config.ComputeVPC:
		d.add("compute resource", OK, fmt.Sprintf("VPC virtual server: metadata service %s; %s", a.MetadataURL, vpcTrust), "")
		if d.metadata(ctx) {
			if sess := d.exchange(ctx); sess != nil {
				d.probes(ctx, sess)
			}
		}
		return false
	}
	d.add("compute resource", OK, fmt.Sprintf("Kubernetes pod: projected token %s; %s", a.CRTokenFile, kubeTrust), "")
	return true
}

// metadata checks the metadata service accepts connections. A disabled
// service does not refuse them, it never answers: the dial succeeds and the
// exchange times out, which the exchange step then explains.
func (d *run) metadata(ctx context.Context) bool {
	raw := d.in.Config.Auth.MetadataURL
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		d.fail("metadata service", fmt.Sprintf("%q is not a URL", raw), "set auth.metadataURL to "+config.DefaultMetadataURL, exitcode.Config)
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		d.fail("metadata service", fmt.Sprintf("cannot connect to %s: %v", u.Host, err),
			"run trustjob on the VPC instance itself; "+vpcTrust, exitcode.TempFail)
		return false
	}
	conn.Close()
	d.add("metadata service", OK, raw+" accepts connections", "")
	return true
}
