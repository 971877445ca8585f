//go:build !release

package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim"
	simcos "github.com/trustjob/trustjob/internal/cloudsim/cos"
	"github.com/trustjob/trustjob/internal/cloudsim/events"
)

// The bucket, Event Notifications instance and API source the emulator
// provides (and config/demo.yaml names). The runner profile holds Writer on
// the bucket and Event Notifications Publisher on the instance.
const (
	SimBucket     = "trustjob-reports"
	SimENInstance = "3f1a6c2e-8b4d-4e0f-9a7b-2c5d6e7f8a90"
	SimENSource   = "7b0f4c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e:api"
)

// deliverySim is the emulated COS endpoint and Event Notifications service on
// a loopback port of their own (they are other hosts in IBM Cloud).
type deliverySim struct {
	COS    *simcos.Server
	Events *events.Server
	URL    string
	srv    *http.Server
}

// startDeliverySim serves COS and Event Notifications next to l, checking
// tokens with l's IAM, with the bucket and source above granted to the runner.
func startDeliverySim(l *cloudsim.Local) (*deliverySim, error) {
	verify := func(tok string) (cloudsim.Caller, error) {
		c, err := l.Sim.VerifyToken(tok)
		if err != nil {
			return cloudsim.Caller{}, err
		}
		return *c, nil
	}
	d := &deliverySim{
		COS: simcos.New(func(tok string) (simcos.Caller, error) {
			c, err := verify(tok)
			return simcos.Caller{IAMID: c.IAMID, AccountID: c.AccountID}, err
		}),
		Events: events.New(func(tok string) (events.Caller, error) {
			c, err := verify(tok)
			return events.Caller{IAMID: c.IAMID, AccountID: c.AccountID}, err
		}),
	}
	w := l.Sim.World()
	w.RLock()
	runner, account := w.IAM.RunnerIAMID(), w.AccountID
	w.RUnlock()
	d.COS.CreateBucket(SimBucket, account)
	d.COS.Grant(SimBucket, runner, simcos.Writer)
	d.Events.AddSource(SimENInstance, SimENSource, "trustjob")
	d.Events.Grant(SimENInstance, runner, events.Publisher)

	mux := http.NewServeMux()
	mux.Handle("/event-notifications/", d.Events)
	mux.Handle("/", d.COS)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the COS and Event Notifications emulator: %w", err)
	}
	d.URL = "http://" + ln.Addr().String()
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

// Env points output.cos and notify.eventNotifications at the emulator.
func (d *deliverySim) Env() map[string]string {
	return map[string]string{EnvCOSEndpoint: d.URL, EnvENURL: d.URL + "/event-notifications"}
}

func (d *deliverySim) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
}
