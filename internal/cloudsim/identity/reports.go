package identity

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// identityReportSlot is the one report of a kind IBM keeps per account: a newer
// report replaces it, and its reference then answers 404.
type identityReportSlot struct {
	ref     string
	readyAt time.Time
	body    map[string]any
}

// routesIdentityReports serves the inactive-identities (activity) report and the
// MFA enrollment report: POST → 202 {reference}; GET → 204 while generating
// (Options.ReportDelay), then 200; 404 for an unknown or replaced reference;
// "latest" names the newest.
func (s *api) routesIdentityReports() {
	s.Handle(core.Route{Pattern: "POST /v1/activity/accounts/{account_id}/report", Service: core.ServiceIAMIdentity,
		Action: core.ActionReportCreate, Handler: s.createActivityReport, ReadOnly: true})
	s.Handle(core.Route{Pattern: "GET /v1/activity/accounts/{account_id}/report/{reference}", Service: core.ServiceIAMIdentity,
		Action: core.ActionReportGet, Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) {
			s.getIdentityReport(w, r, c, func(s *api) *identityReportSlot { return &s.activity })
		}})
	s.Handle(core.Route{Pattern: "POST /v1/mfa/accounts/{account_id}/report", Service: core.ServiceIAMIdentity,
		Action: core.ActionReportCreate, Handler: s.createMFAReport, ReadOnly: true})
	s.Handle(core.Route{Pattern: "GET /v1/mfa/accounts/{account_id}/report/{reference}", Service: core.ServiceIAMIdentity,
		Action: core.ActionReportGet, Handler: func(w http.ResponseWriter, r *http.Request, c *core.Caller) {
			s.getIdentityReport(w, r, c, func(s *api) *identityReportSlot { return &s.mfa })
		}})
}

// newReportRef returns a fresh reference; the caller holds the world's lock.
func (s *api) newReportRef() string {
	s.refSeq++
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(s.world.Seed), s.refSeq&0xffff,
		(s.refSeq>>16)&0xfff, s.Now().UnixNano()&0xfff, s.Now().UnixNano()&0xffffffffffff)
}

func (s *api) createActivityReport(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.PathValue("account_id")
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, acct, c, true) {
		return
	}
	q := r.URL.Query()
	if t := q.Get("type"); t != "" && t != "inactive" {
		s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusBadRequest, "invalid_report_type",
			fmt.Sprintf("Report type %q is not supported; use inactive.", t))
		return
	}
	hours := 720
	if d := q.Get("duration"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 24*366*5 {
			s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusBadRequest, "invalid_duration",
				fmt.Sprintf("Duration %q is not a whole number of hours between 1 and %d.", d, 24*366*5))
			return
		}
		hours = n
	}
	now := s.Now()
	s.world.Lock()
	ref := s.newReportRef()
	body := activityReport(s.world, now, time.Duration(hours)*time.Hour)
	body["created_by"], body["reference"], body["report_duration"] = callerIAMID(c), ref, strconv.Itoa(hours)
	s.activity = identityReportSlot{ref: ref, readyAt: now.Add(s.Options().ReportDelay), body: body}
	s.world.Unlock()
	core.WriteJSON(w, http.StatusAccepted, map[string]any{"reference": ref})
}

func (s *api) createMFAReport(w http.ResponseWriter, r *http.Request, c *core.Caller) {
	acct := r.PathValue("account_id")
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, acct, c, true) {
		return
	}
	if t := r.URL.Query().Get("type"); t != "" && t != "mfa_status" {
		s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusBadRequest, "invalid_report_type",
			fmt.Sprintf("Report type %q is not supported; use mfa_status.", t))
		return
	}
	now := s.Now()
	s.world.Lock()
	ref := s.newReportRef()
	body := mfaReport(s.world, now)
	body["created_by"], body["reference"] = callerIAMID(c), ref
	s.mfa = identityReportSlot{ref: ref, readyAt: now.Add(s.Options().ReportDelay), body: body}
	s.world.Unlock()
	core.WriteJSON(w, http.StatusAccepted, map[string]any{"reference": ref})
}

func (s *api) getIdentityReport(w http.ResponseWriter, r *http.Request, c *core.Caller, slot func(*api) *identityReportSlot) {
	if !s.CheckAccount(w, r, core.ServiceIAMIdentity, r.PathValue("account_id"), c, true) {
		return
	}
	ref := r.PathValue("reference")
	s.world.RLock()
	rep := *slot(s)
	s.world.RUnlock()
	if rep.ref == "" || (ref != "latest" && ref != rep.ref) {
		s.WriteError(w, r, core.ServiceIAMIdentity, http.StatusNotFound, "report_not_found",
			"Report with reference "+ref+" not found. Only the most recent report is kept.")
		return
	}
	if s.Now().Before(rep.readyAt) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	core.WriteJSON(w, http.StatusOK, rep.body)
}

func callerIAMID(c *core.Caller) string {
	if c == nil {
		return ""
	}
	return c.IAMID
}

// activityReport computes the inactive-identities report from the same records
// the list endpoints serve: every user, API key, service ID and trusted profile
// that existed before the window began and has not authenticated since. The
// caller holds the world's lock.
func activityReport(w *account.World, now time.Time, d time.Duration) map[string]any {
	st := &w.Identities
	start := now.Add(-d)
	inactive := func(created time.Time, last *time.Time) bool {
		return created.Before(start) && (last == nil || last.Before(start))
	}
	withLast := func(m map[string]any, last *time.Time) map[string]any {
		if last != nil {
			m["last_authn"] = core.FormatIAMMinute(*last)
		}
		return m
	}
	users := []map[string]any{}
	for _, u := range st.Users {
		if inactive(u.AddedOn, u.LastAuthn) {
			users = append(users, withLast(map[string]any{
				"iam_id": u.IAMID, "name": u.Firstname + " " + u.Lastname, "username": u.UserID, "email": u.Email,
			}, u.LastAuthn))
		}
	}
	keys := []map[string]any{}
	for _, k := range st.APIKeys {
		if !inactive(k.CreatedAt, k.LastAuthn) {
			continue
		}
		m := map[string]any{"id": k.ID, "name": k.Name}
		if sid := st.ServiceIDByIAMID(k.OwnerIAMID); sid != nil {
			m["type"], m["serviceid"] = "serviceid", map[string]any{"id": sid.ID, "name": sid.Name}
		} else if u := st.UserByIAMID(k.OwnerIAMID); u != nil {
			m["type"], m["user"] = "user", map[string]any{
				"iam_id": u.IAMID, "name": u.Firstname + " " + u.Lastname, "username": u.UserID, "email": u.Email}
		}
		keys = append(keys, withLast(m, k.LastAuthn))
	}
	sids := []map[string]any{}
	for _, sid := range st.ServiceIDs {
		if inactive(sid.CreatedAt, sid.LastAuthn) {
			sids = append(sids, withLast(map[string]any{"id": sid.ID, "name": sid.Name}, sid.LastAuthn))
		}
	}
	profiles := []map[string]any{}
	for _, p := range w.IdentityProfiles() {
		if inactive(p.CreatedAt, p.LastAuthn) {
			profiles = append(profiles, withLast(map[string]any{"id": p.ID, "name": p.Name}, p.LastAuthn))
		}
	}
	return map[string]any{
		"report_start_time": core.FormatIAMMinute(start), "report_end_time": core.FormatIAMMinute(now),
		"users": users, "apikeys": keys, "serviceids": sids, "profiles": profiles,
	}
}

// mfaReport computes the MFA enrollment report of every user. The caller holds
// the world's lock.
func mfaReport(w *account.World, now time.Time) map[string]any {
	users := []map[string]any{}
	for _, u := range w.Identities.Users {
		m := mfaEnrollment(w, u)
		m["name"], m["username"], m["email"] = u.Firstname+" "+u.Lastname, u.UserID, u.Email
		users = append(users, m)
	}
	return map[string]any{"report_time": core.FormatIAMMinute(now), "account_id": w.AccountID, "users": users}
}

// weakMFA: the setting lets a user sign in with a password alone.
func weakMFA(v string) bool { return v == "" || v == "NONE" || v == "NONE_NO_ROPC" }

// mfaEnrollment is one user's MFA enrollment (UserMfaEnrollments): the
// user-specific setting overrides the account's; a user complies when the
// effective trait requires a second factor and the user is enrolled in it
// (the generated users are enrolled in what their MFA field names). The
// caller holds the world's lock.
func mfaEnrollment(w *account.World, u *account.UserRecord) map[string]any {
	acct := w.IAM.Settings.MFA
	specific := ""
	for _, m := range w.IAM.Settings.UserMFA {
		if m.IAMID == u.IAMID {
			specific = m.MFA
		}
	}
	effective := acct
	if specific != "" {
		effective = specific
	}
	enrolled := !weakMFA(u.MFA)
	complies := !weakMFA(effective) && enrolled
	comply := "NO"
	if complies {
		comply = "ACCOUNT"
	}
	status := func(req, on bool) map[string]any { return map[string]any{"required": req, "enrolled": on} }
	idb := map[string]any{"trait_account_default": acct, "trait_effective": effective, "complies": complies, "comply_state": comply}
	if specific != "" {
		idb["trait_user_specific"] = specific
	}
	return map[string]any{
		"iam_id": u.IAMID, "effective_mfa_type": "id_based_mfa", "id_based_mfa": idb,
		"account_based_mfa": map[string]any{
			"security_questions": status(false, false), "totp": status(effective == "TOTP" || effective == "TOTP4ALL", u.MFA == "TOTP"),
			"verisign": status(false, false), "complies": complies,
		},
	}
}
