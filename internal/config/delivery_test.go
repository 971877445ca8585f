package config

import (
	"errors"
	"strings"
	"testing"
)

func TestDeliveryConfig(t *testing.T) {
	const head = "apiVersion: trustjob/v1\nkind: Config\nauth: {profileName: p}\n"
	const task = "tasks:\n  - {name: a, type: fake}\n"
	tests := []struct {
		name  string
		body  string
		check func(*Config) string
		probs []string // substrings of the problems, in order
	}{
		{"defaults", "output:\n  cos: {bucket: reports, endpoint: us-south}\nnotify:\n  eventNotifications: {instance: \"crn:v1:bluemix:public:event-notifications:eu-de:a/acct:3f1a6c2e-8b4d-4e0f-9a7b-2c5d6e7f8a90::\", sourceID: s}\n",
			func(c *Config) string {
				o, en := c.Output.COS, c.Notify.EventNotifications
				if o.Prefix != "trustjob/" || o.EndpointType != "public" || o.Latest != "copy" {
					return "cos defaults " + o.Prefix + " " + o.EndpointType + " " + o.Latest
				}
				if en.Region != "eu-de" || en.InstanceGUID() != "3f1a6c2e-8b4d-4e0f-9a7b-2c5d6e7f8a90" || strings.Join(en.On, ",") != "failure,findings,changes,actions" {
					return "event notifications defaults " + en.Region + " " + en.InstanceGUID()
				}
				return ""
			}, nil},
		{"private endpoints choose direct COS", "endpoints: private\nprivateRegion: us-south\noutput:\n  cos: {bucket: reports, endpoint: eu-de, prefix: r}\n",
			func(c *Config) string {
				if c.Output.COS.EndpointType != "direct" || c.Output.COS.Prefix != "r/" {
					return c.Output.COS.EndpointType + " " + c.Output.COS.Prefix
				}
				return ""
			}, nil},
		{"every problem at once", "output:\n  cos: {bucket: Bad_Bucket, endpoint: \"http://s3.example.com\", endpointType: vpc, latest: move}\nnotify:\n  eventNotifications: {instance: not-a-guid, region: mars, on: [sometimes]}\n",
			nil, []string{"output.cos.bucket", "output.cos.endpoint: endpoint must use https", "output.cos.endpointType", "output.cos.latest",
				"notify.eventNotifications.sourceID", "notify.eventNotifications.instance", "notify.eventNotifications.region", "notify.eventNotifications.on[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("config.yaml", []byte(head+tt.body+task), testTypes, nil)
			var probs Problems
			errors.As(err, &probs)
			if len(tt.probs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if msg := tt.check(cfg); msg != "" {
					t.Error(msg)
				}
				return
			}
			if len(probs) != len(tt.probs) {
				t.Fatalf("%d problems, want %d:\n%v", len(probs), len(tt.probs), err)
			}
			for i, want := range tt.probs {
				if got := probs[i].String(); !strings.Contains(got, want) || probs[i].Line == 0 {
					t.Errorf("problem %d: %s, want %q with a line", i, got, want)
				}
			}
		})
	}
}
