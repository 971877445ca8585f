package posture

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/trustjob/trustjob/internal/iamread"
)

// needed is the set of facts the controls that are not waived read.
func needed(o *Options, now time.Time) [numFacts]bool {
	var n [numFacts]bool
	for _, c := range Controls {
		if _, waived, _ := o.waiver(c.ID, now); waived || c.Eval == nil {
			continue
		}
		for _, f := range c.Needs {
			n[f] = true
		}
	}
	if n[factOwnerMFA] {
		n[factOwner] = true
	}
	return n
}

// gather reads the facts in need. The two IAM reports take a while to
// generate, so they are created and polled while the listings run. A fact
// that cannot be read is recorded in Errs and costs only the controls that
// need it; ctx ending stops everything.
func gather(ctx context.Context, r *iamread.Reader, o *Options, need [numFacts]bool, now time.Time) *Facts {
	f := &Facts{Now: now, Inactive: map[string]*time.Time{}, Groups: map[string]iamread.Group{}, MemberOf: map[string][]string{}}
	var wg sync.WaitGroup
	if need[factActivity] {
		f.ActivityWindow = min(o.UnusedFor.D(), o.InactiveUserFor.D())
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := r.ActivityReport(ctx, f.ActivityWindow)
			if err != nil {
				f.Errs[factActivity] = err
				return
			}
			for _, a := range rep.Items {
				switch a.Kind {
				case "apikey", iamread.KindUser:
					f.Inactive[a.ID] = a.LastAuthn
				}
			}
		}()
	}
	if need[factMFAReport] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := r.MFAReport(ctx)
			f.MFA, f.Errs[factMFAReport] = rep, err
		}()
	}

	if need[factOwner] {
		if o.OwnerIAMID != "" {
			f.Owner = o.OwnerIAMID
		} else {
			f.Owner, f.Errs[factOwner] = r.Owner(ctx)
		}
	}
	if need[factOwnerMFA] {
		if f.Errs[factOwner] != nil {
			f.Errs[factOwnerMFA] = f.Errs[factOwner]
		} else {
			f.OwnerMFA, f.Errs[factOwnerMFA] = r.MFAStatus(ctx, f.Owner)
		}
	}
	if need[factSettings] {
		f.Settings, f.Errs[factSettings] = r.Settings(ctx)
	}
	if need[factPublicAccess] {
		f.PublicAccess, f.Errs[factPublicAccess] = r.PublicAccessEnabled(ctx)
	}
	if need[factKeys] {
		f.Errs[factKeys] = r.APIKeys(ctx, func(k iamread.APIKey) error {
			f.Keys = append(f.Keys, k)
			return nil
		})
	}
	if need[factUsers] {
		f.Errs[factUsers] = r.Users(ctx, func(u iamread.User) error {
			f.Users = append(f.Users, u)
			return nil
		})
	}
	if need[factGroups] {
		f.Errs[factGroups] = gatherGroups(ctx, r, f)
	}
	if need[factPolicies] {
		f.Errs[factPolicies] = r.Policies(ctx, iamread.PolicyFilter{}, func(p iamread.Policy) error {
			if relevant(p) {
				f.Policies = append(f.Policies, p)
			}
			return nil
		})
	}
	wg.Wait()
	return f
}

// gatherGroups lists the groups and every group's members (the Public Access
// group's members are everyone, so it is not listed).
func gatherGroups(ctx context.Context, r *iamread.Reader, f *Facts) error {
	var ids []string
	err := r.Groups(ctx, func(g iamread.Group) error {
		f.Groups[g.ID] = g
		ids = append(ids, g.ID)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == iamread.PublicAccessGroupID {
			continue
		}
		err := r.Members(ctx, id, func(m iamread.Member) error {
			if !slices.Contains(f.MemberOf[m.IAMID], id) {
				f.MemberOf[m.IAMID] = append(f.MemberOf[m.IAMID], id)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// relevant keeps the policies a control looks at, so 20,000 policies are not
// held: direct ones, administrator ones, Support Center ones and the Public
// Access group's.
func relevant(p iamread.Policy) bool {
	_, kind := p.Subject()
	return kind == iamread.KindUser || kind == iamread.KindServiceID || AdminLevel(p) ||
		p.Resource["serviceName"] == "support" || p.SubjectGroupID == iamread.PublicAccessGroupID
}
