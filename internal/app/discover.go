package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/enterprisemanagementv1"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// needEnterprise is the access discovery needs, for errors.
const needEnterprise = "Viewer on the Enterprise service, granted in the enterprise account to auth's trusted profile"

// accountActive is the one state whose accounts are targets (IBM's docs name
// ACTIVE, PENDING, SUSPENDED and CANCELED; only an active account can be
// signed in to and worked on).
const accountActive = "ACTIVE"

// discover signs in as auth's profile (in the enterprise account), lists the
// enterprise's accounts and returns the ACTIVE ones that include/exclude
// select, each with the profile enterprise.profiles maps it to. An account
// without a profile is skipped with a warning, or (requireAll) returned
// without one, so that it fails, named, in the roll-up.
func (a *app) discover(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]config.Target, error) {
	e := cfg.Enterprise
	sess, err := a.signInAs(ctx, cfg, cfg.Auth.ProfileID, cfg.Auth.ProfileName, log)
	if err != nil {
		return nil, err
	}
	if sess.Clients == nil || sess.Clients.Enterprise == nil {
		return nil, errors.New("enterprise discovery: no Enterprise Management client")
	}
	em := sess.Clients.Enterprise
	entID := e.EnterpriseID
	if entID == "" {
		res, resp, err := em.ListEnterprisesWithContext(ctx, &enterprisemanagementv1.ListEnterprisesOptions{EnterpriseAccountID: &sess.Account})
		if err := ibmcloud.Answered("list the enterprise of account "+sess.Account, needEnterprise, res, resp, err); err != nil {
			return nil, err
		}
		if len(res.Resources) == 0 || res.Resources[0].ID == nil {
			return nil, fmt.Errorf("account %s (auth's profile %s) heads no enterprise: sign in to the enterprise account, or set enterprise.enterpriseID", sess.Account, sess.ProfileIAMID)
		}
		entID = *res.Resources[0].ID
	}

	groups := map[string]enterprisemanagementv1.AccountGroup{} // by CRN
	err = ibmcloud.EachPage(ctx, "list the account groups of enterprise "+entID, needEnterprise,
		func(tok *string) (*enterprisemanagementv1.ListAccountGroupsResponse, *core.DetailedResponse, error) {
			return em.ListAccountGroupsWithContext(ctx, &enterprisemanagementv1.ListAccountGroupsOptions{EnterpriseID: &entID, NextDocid: tok})
		}, func(p *enterprisemanagementv1.ListAccountGroupsResponse) (*string, error) {
			for _, g := range p.Resources {
				if g.CRN != nil {
					groups[*g.CRN] = g
				}
			}
			return ibmcloud.NextToken(p.NextURL, "next_docid")
		})
	if err != nil {
		return nil, err
	}
	var found []config.Target
	var skipped []string
	err = ibmcloud.EachPage(ctx, "list the accounts of enterprise "+entID, needEnterprise,
		func(tok *string) (*enterprisemanagementv1.ListAccountsResponse, *core.DetailedResponse, error) {
			return em.ListAccountsWithContext(ctx, &enterprisemanagementv1.ListAccountsOptions{EnterpriseID: &entID, NextDocid: tok})
		}, func(p *enterprisemanagementv1.ListAccountsResponse) (*string, error) {
			for _, acct := range p.Resources {
				id, name, state := str(acct.ID), str(acct.Name), str(acct.State)
				chain := groupChain(groups, str(acct.Parent))
				switch {
				case id == "":
				case state != accountActive:
					log.Info("account skipped: not ACTIVE", "target", id, "target_name", name, "state", state)
				case !selected(e.Include, id, name, chain, true) || selected(e.Exclude, id, name, chain, false):
					log.Debug("account not selected", "target", id, "target_name", name)
				default:
					prof := e.Profiles[id]
					if prof == "" {
						prof = e.Profiles[name]
					}
					if prof == "" && !e.RequireAll {
						skipped = append(skipped, id)
						log.Warn("account skipped: no trusted profile mapped", "target", id, "target_name", name,
							"hint", "add it under enterprise.profiles (account ID or name: Profile-...), after setting the account up (docs/enterprise.md)")
						continue
					}
					found = append(found, config.Target{Account: id, Name: name, ProfileID: prof, Tasks: e.Tasks})
				}
			}
			return ibmcloud.NextToken(p.NextURL, "next_docid")
		})
	if err != nil {
		return nil, err
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Account < found[j].Account })
	log.Info("enterprise discovered", "enterprise", entID, "targets", len(found), "without_profile", len(skipped))
	return found, nil
}

// groupChain lists the IDs and names of the account groups above a node
// whose parent CRN is parent, nearest first.
func groupChain(groups map[string]enterprisemanagementv1.AccountGroup, parent string) []string {
	var out []string
	for depth := 0; depth < 64; depth++ {
		g, ok := groups[parent]
		if !ok {
			return out
		}
		out = append(out, str(g.ID), str(g.Name))
		parent = str(g.Parent)
	}
	return out
}

// selected reports whether s picks the account; an empty selector picks
// what empty says.
func selected(s config.Selector, id, name string, groups []string, empty bool) bool {
	if s.Empty() {
		return empty
	}
	if slices.Contains(s.Accounts, id) || (name != "" && slices.Contains(s.Accounts, name)) {
		return true
	}
	for _, g := range s.AccountGroups {
		if slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
