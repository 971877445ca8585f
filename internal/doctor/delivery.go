package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/deliver/cos"
	"github.com/trustjob/trustjob/internal/deliver/eventnotifications"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// delivery checks output.cos (the bucket answers HEAD; a small probe object
// can be written and deleted) and notify.eventNotifications (the API source
// exists), with the session's token, naming the role that is missing.
func (d *run) delivery(ctx context.Context, sess *auth.Session) {
	cfg := d.in.Config
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if o := cfg.Output.COS; o.Enabled() {
		d.bucket(ctx, sess, o)
	}
	if en := cfg.Notify.EventNotifications; en != nil {
		d.notifySource(ctx, sess, en)
	}
}

const cosRoleFix = "grant the trusted profile the Cloud Object Storage Writer role on the bucket " +
	"(or Object Writer + Content Reader with output.cos.latest: upload); see docs/iam-setup.md"

func (d *run) bucket(ctx context.Context, sess *auth.Session, o *config.COS) {
	tok, ok := sess.Clients.Authenticator.(cos.TokenSource)
	if !ok {
		d.fail("COS bucket", "the authenticator cannot hand out its token", "", exitcode.Config)
		return
	}
	endpoint := o.Endpoint
	if v := strings.TrimSpace(d.in.Getenv(config.EnvCOSEndpoint)); v != "" {
		endpoint = v
	}
	c, err := cos.New(cos.Options{Bucket: o.Bucket, Endpoint: endpoint, EndpointType: o.EndpointType, Prefix: o.Prefix,
		Token: tok, AllowedHosts: d.in.Config.AllowedHosts, Account: sess.Account, RunID: "doctor", MaxRetries: 1})
	if err != nil {
		d.fail("COS bucket", err.Error(), "set output.cos.endpoint to the bucket's location or its https endpoint", exitcode.Config)
		return
	}
	where := fmt.Sprintf("bucket %s at %s", o.Bucket, c.Endpoint())
	if err := c.Head(ctx); err != nil {
		d.cosFail("COS bucket", where, err)
		return
	}
	d.add("COS bucket", OK, where+" exists and the profile can read it (HEAD)", "")
	key, deleted, err := c.Probe(ctx, fmt.Sprintf("probe-%d.txt", d.in.Now.Unix()))
	switch {
	case err != nil && !deleted && strings.Contains(err.Error(), "delete probe"):
		d.add("COS write", Warn, fmt.Sprintf("wrote the probe object %s but could not delete it: %s", key, firstLine(err.Error())),
			"fine with Object Writer + Content Reader (output.cos.latest: upload); the bucket's lifecycle rule removes it, or delete it by hand")
	case err != nil:
		d.cosFail("COS write", where, err)
	default:
		d.add("COS write", OK, fmt.Sprintf("wrote a small probe object %s and deleted it again", key), "")
	}
}

func (d *run) cosFail(name, where string, err error) {
	switch status := ibmcloud.HTTPStatus(err); {
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		d.fail(name, where+": "+firstLine(err.Error()), cosRoleFix, exitcode.NoPerm)
	case status == http.StatusNotFound:
		d.fail(name, where+": the bucket does not exist there", "check output.cos.bucket and that the endpoint is the bucket's location", exitcode.Config)
	default:
		d.fail(name, where+": "+firstLine(err.Error()), "check the endpoint type (from a VPC only direct endpoints are reachable) and egress to it", exitcode.TempFail)
	}
}

func (d *run) notifySource(ctx context.Context, sess *auth.Session, en *config.EventNotifications) {
	u := eventnotifications.URL(en.Region, d.in.Config.Private())
	if v := strings.TrimSpace(d.in.Getenv(config.EnvENURL)); v != "" {
		u = v
	}
	s, err := eventnotifications.New(eventnotifications.Options{Instance: en.InstanceGUID(), URL: u,
		Authenticator: sess.Clients.Authenticator, AllowedHosts: d.in.Config.AllowedHosts, MaxRetries: 1})
	if err != nil {
		d.fail("notify source", err.Error(), "check notify.eventNotifications", exitcode.Config)
		return
	}
	name, err := s.Source(ctx, en.SourceID)
	switch status := ibmcloud.HTTPStatus(err); {
	case err == nil:
		d.add("notify source", OK, fmt.Sprintf("API source %s (%s) exists in instance %s; sending needs the %q role there",
			en.SourceID, name, en.InstanceGUID(), eventnotifications.Role), "")
	case status == http.StatusForbidden:
		d.add("notify source", Warn, fmt.Sprintf("cannot read source %s: the profile has no Reader role on the instance, so doctor cannot confirm it exists", en.SourceID),
			fmt.Sprintf("that is expected with the least role %q alone (it may send, not read); to let doctor check, add Reader, or watch the first run's notification", eventnotifications.Role))
	case status == http.StatusNotFound:
		d.fail("notify source", fmt.Sprintf("source %s does not exist in instance %s", en.SourceID, en.InstanceGUID()),
			"create an API source (Event Notifications > Sources) and set notify.eventNotifications.sourceID", exitcode.Config)
	default:
		d.fail("notify source", firstLine(err.Error()), "check notify.eventNotifications.region/instance and egress to Event Notifications", exitcode.TempFail)
	}
}
