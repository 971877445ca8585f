package inactiveids

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/IBM/platform-services-go-sdk/iamidentityv1"
)

// Identity kinds, as in the report's `kind` column.
const (
	KindUser      = "user"
	KindAPIKey    = "apikey"
	KindServiceID = "serviceid"
	KindProfile   = "profile"
)

// identity is one inactive identity of the report, joined with the listings.
type identity struct {
	kind        string
	id          string // users: their iam_id
	iamID       string // API keys: the iam_id they authenticate as (their owner's)
	name        string
	owner       string // API keys: the owning user's e-mail or service ID's name
	ownerIAMID  string
	ownerID     string // API keys of service IDs: the ServiceId-...
	login       string // users: e-mail (or login name), also matched by name globs
	description string
	created     time.Time // zero when unknown
	lastAuthn   *time.Time
	locked      *bool // nil where the kind has no such state
	disabled    *bool
	listed      bool // found in the listings (not deleted since the report)

	exempt       bool
	exemptReason string
}

// inactiveSince is when the identity's inactivity began: its last
// authentication, or its creation when it never authenticated. ok is false when
// neither is known.
func (id *identity) inactiveSince() (time.Time, bool) {
	if id.lastAuthn != nil {
		return *id.lastAuthn, true
	}
	return id.created, !id.created.IsZero()
}

// inactiveFor is how long the identity has been inactive at now. Without a
// known start, the report's window is the best lower bound.
func (id *identity) inactiveFor(now time.Time, window time.Duration) time.Duration {
	since, ok := id.inactiveSince()
	if !ok {
		return window
	}
	return max(now.Sub(since), 0)
}

// buildIdentities turns the report's four sections into identities, in report
// order (users, API keys, service IDs, profiles), enriched from c.
func buildIdentities(rep *iamidentityv1.Report, c *catalog) []*identity {
	var out []*identity
	for _, u := range rep.Users {
		id := &identity{kind: KindUser, id: str(u.IamID), iamID: str(u.IamID), name: str(u.Name), lastAuthn: reportTime(u.LastAuthn)}
		if id.name == "" {
			id.name = str(u.Username)
		}
		id.login = str(u.Email)
		if id.login == "" {
			id.login = str(u.Username)
		}
		if info, ok := c.users[id.iamID]; ok {
			id.listed, id.created = true, info.added
		}
		out = append(out, id)
	}
	for _, k := range rep.Apikeys {
		id := &identity{kind: KindAPIKey, id: str(k.ID), name: str(k.Name), lastAuthn: reportTime(k.LastAuthn)}
		switch {
		case k.Serviceid != nil:
			id.ownerID, id.owner = str(k.Serviceid.ID), str(k.Serviceid.Name)
			if s, ok := c.sids[id.ownerID]; ok {
				id.ownerIAMID = s.iamID
			} else if id.ownerID != "" {
				id.ownerIAMID = "iam-" + id.ownerID
			}
		case k.User != nil:
			id.ownerIAMID, id.owner = str(k.User.IamID), str(k.User.Email)
			if id.owner == "" {
				id.owner = str(k.User.Username)
			}
		}
		id.iamID = id.ownerIAMID
		if info, ok := c.keys[id.id]; ok {
			id.listed, id.created, id.description = true, info.created, info.description
			id.locked, id.disabled = ptr(info.locked), ptr(info.disabled)
			if info.iamID != "" {
				id.iamID = info.iamID
			}
		}
		out = append(out, id)
	}
	for _, s := range rep.Serviceids {
		out = append(out, entityIdentity(KindServiceID, s, c.sids, true))
	}
	for _, p := range rep.Profiles {
		out = append(out, entityIdentity(KindProfile, p, c.profiles, false))
	}
	return out
}

func entityIdentity(kind string, e iamidentityv1.EntityActivity, listed map[string]entityInfo, lockable bool) *identity {
	id := &identity{kind: kind, id: str(e.ID), name: str(e.Name), lastAuthn: reportTime(e.LastAuthn)}
	if info, ok := listed[id.id]; ok {
		id.listed, id.iamID, id.created, id.description = true, info.iamID, info.created, info.description
		if lockable {
			id.locked = ptr(info.locked)
		}
	} else if id.id != "" {
		id.iamID = "iam-" + id.id // service IDs and profiles: iam-<id>
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func reportTime(s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, ok := parseTime(*s)
	if !ok {
		return nil
	}
	return &t
}

// exempter decides exemptions from the options and the runner's own identity.
type exempter struct {
	ids       map[string]string
	iamIDs    map[string]string
	names     []NameExemption
	marker    string
	selfIAMID string
}

func newExempter(o *Options, selfIAMID string) *exempter {
	e := &exempter{ids: map[string]string{}, iamIDs: map[string]string{}, names: o.Exemptions.Names,
		marker: o.marker(), selfIAMID: selfIAMID}
	for _, x := range o.Exemptions.IDs {
		e.ids[strings.TrimSpace(x.ID)] = x.Reason
	}
	for _, x := range o.Exemptions.IAMIDs {
		e.iamIDs[strings.TrimSpace(x.IAMID)] = x.Reason
	}
	return e
}

// apply marks id exempt, with the first matching rule's reason: the runner's
// own profile, then ids, iam_ids (its own, then an API key's owner's), name
// globs, and the description marker.
func (e *exempter) apply(id *identity) {
	reason, ok := e.reason(id)
	id.exempt, id.exemptReason = ok, reason
}

func (e *exempter) reason(id *identity) (string, bool) {
	if e.selfIAMID != "" && (id.iamID == e.selfIAMID || "iam-"+id.id == e.selfIAMID) {
		return "the trusted profile trustjob runs as", true
	}
	if r, ok := e.ids[id.id]; ok {
		return "id exempt: " + r, true
	}
	if r, ok := e.iamIDs[id.iamID]; ok && id.kind != KindAPIKey {
		return "iam_id exempt: " + r, true
	}
	if id.kind == KindAPIKey {
		if r, ok := e.iamIDs[id.ownerIAMID]; ok {
			return fmt.Sprintf("owner %s exempt: %s", id.ownerIAMID, r), true
		}
		if r, ok := e.ids[id.ownerID]; ok && id.ownerID != "" {
			return fmt.Sprintf("owner %s exempt: %s", id.ownerID, r), true
		}
	}
	for _, n := range e.names {
		for _, candidate := range []string{id.name, id.login} {
			if candidate == "" {
				continue
			}
			if ok, _ := path.Match(n.Name, candidate); ok {
				return fmt.Sprintf("name matches %q: %s", n.Name, n.Reason), true
			}
		}
	}
	if e.marker != "" && strings.Contains(id.description, e.marker) {
		return fmt.Sprintf("description contains %q", e.marker), true
	}
	return "", false
}
