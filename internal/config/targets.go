package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultParallelTargets is how many targets one pod runs at once when
// parallelTargets is absent.
const DefaultParallelTargets = 4

// MaxParallelTargets bounds parallelTargets: each target holds its own clients
// and token, and IAM's token endpoint is shared by all of them.
const MaxParallelTargets = 64

// Target is one account a run covers, signed in to through the trusted
// profile ProfileID that lives in that account and links (is_cross_account)
// to this cluster's namespace and service account. docs/enterprise.md.
type Target struct {
	// Account is the 32-hex-digit account ID; the access token must say the
	// same (account.bss), or the target fails.
	Account string `yaml:"account"`
	// Name is a label for logs and the roll-up (e.g. the account's name).
	Name string `yaml:"name"`
	// ProfileID is the trusted profile in Account (Profile-...). A profile
	// name cannot reach another account: IAM looks names up in the cluster's
	// own account.
	ProfileID string `yaml:"profileID"`
	// Tasks, when set, are the only configured tasks run for this target.
	Tasks []string `yaml:"tasks"`
}

// Enterprise is enterprise: the targets found through the Enterprise
// Management API (ACTIVE accounts only), signed in to as auth's profile,
// which needs Viewer on the Enterprise service in the enterprise account.
type Enterprise struct {
	Discover bool `yaml:"discover"`
	// EnterpriseID limits discovery to one enterprise; absent, the enterprise
	// of the account auth's profile signs in to.
	EnterpriseID string   `yaml:"enterpriseID"`
	Include      Selector `yaml:"include"`
	Exclude      Selector `yaml:"exclude"`
	// Profiles maps an account ID, or an account's name, to the trusted
	// profile ID to use there. An account without an entry is reported as
	// not set up and skipped (it does not fail the run unless requireAll).
	Profiles map[string]string `yaml:"profiles"`
	// RequireAll makes an ACTIVE, selected account without a profile a
	// failure rather than a warning.
	RequireAll bool `yaml:"requireAll"`
	// Tasks, when set, are the tasks run for every discovered target.
	Tasks []string `yaml:"tasks"`
}

// Selector picks accounts by account group (ID or name; an account in a
// nested group counts) or by account (ID or name). Empty selects nothing for
// exclude and everything for include.
type Selector struct {
	AccountGroups []string `yaml:"accountGroups"`
	Accounts      []string `yaml:"accounts"`
}

// Empty reports whether s names nothing.
func (s Selector) Empty() bool { return len(s.AccountGroups) == 0 && len(s.Accounts) == 0 }

// HasTargets reports whether the run covers other accounts (targets: or
// enterprise discovery) rather than the one auth's profile lives in.
func (c *Config) HasTargets() bool {
	return len(c.Targets) > 0 || (c.Enterprise != nil && c.Enterprise.Discover)
}

var accountIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// IsAccountID reports whether s looks like an IBM Cloud account ID.
func IsAccountID(s string) bool { return accountIDRE.MatchString(s) }

func (c *checker) targets(cfg *Config) {
	switch {
	case !c.has("parallelTargets"):
		cfg.ParallelTargets = DefaultParallelTargets
	case cfg.ParallelTargets < 1 || cfg.ParallelTargets > MaxParallelTargets:
		c.add("parallelTargets", fmt.Sprintf("parallelTargets must be between 1 and %d", MaxParallelTargets),
			"e.g. 4: targets run that many at a time in one pod; use an Indexed Job for more (docs/enterprise.md)")
	}
	seen := map[string]int{}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		p := fmt.Sprintf("targets[%d]", i)
		switch {
		case t.Account == "":
			c.add(p+".account", "the target's account is missing", "add account: with the 32-hex-digit account ID")
		case !IsAccountID(t.Account):
			c.add(p+".account", fmt.Sprintf("%q is not an account ID", t.Account),
				"use the 32 lowercase hex digits `ibmcloud account show` prints")
		default:
			if j, dup := seen[t.Account]; dup {
				c.add(p+".account", fmt.Sprintf("account %s is listed twice (also targets[%d])", t.Account, j),
					"list every account once; use tasks: to choose what runs there")
			} else {
				seen[t.Account] = i
			}
		}
		c.profileID(p+".profileID", t.ProfileID, true)
		c.taskSubset(cfg, p+".tasks", t.Tasks)
	}
	if len(cfg.Targets) > 0 && cfg.Auth.ProfileID == "" && cfg.Auth.ProfileName == "" &&
		(cfg.Output.COS.Enabled() || cfg.Notify.EventNotifications != nil) {
		c.add("auth", "with targets, reports and notifications are delivered as auth's profile, and none is configured",
			"set auth.profileID to a trusted profile in the bucket's (and the Event Notifications instance's) account, linked to this cluster")
	}
	e := cfg.Enterprise
	if e == nil {
		return
	}
	if !e.Discover && c.has("enterprise") {
		c.add("enterprise.discover", "enterprise: is set but discover is not true",
			"set discover: true to list the enterprise's ACTIVE accounts, or remove enterprise:")
	}
	if e.EnterpriseID != "" && !IsAccountID(e.EnterpriseID) {
		c.add("enterprise.enterpriseID", fmt.Sprintf("%q is not an enterprise ID", e.EnterpriseID),
			"use the 32-hex-digit ID `ibmcloud enterprise show` prints, or remove it")
	}
	for _, k := range sortedMapKeys(e.Profiles) {
		c.profileID("enterprise.profiles."+k, e.Profiles[k], true)
	}
	c.taskSubset(cfg, "enterprise.tasks", e.Tasks)
}

func (c *checker) profileID(path, id string, required bool) {
	switch {
	case id == "" && required:
		c.add(path, "the target's trusted profile is missing",
			"add profileID: Profile-... (the profile in that account linked to this cluster; docs/enterprise.md)")
	case id != "" && !strings.HasPrefix(id, "Profile-"):
		c.add(path, fmt.Sprintf("%q is not a trusted profile ID", id),
			"use the ID `ibmcloud iam trusted-profile NAME --id` prints in that account (Profile-...)")
	}
}

func (c *checker) taskSubset(cfg *Config, path string, names []string) {
	for j, n := range names {
		if _, ok := cfg.TaskByName(n); !ok {
			c.add(fmt.Sprintf("%s[%d]", path, j), fmt.Sprintf("no task is named %q", n),
				"use the name of a configured task: "+strings.Join(cfg.TaskNames(), ", "))
		}
	}
}

func sortedMapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// whyNoHub explains the refusal of the hub-service-ID pattern.
const whyNoHub = "a hub service ID that assumes a profile in each account needs that service ID's API key " +
	"(the assume grant starts from an API key or a user's token); trustjob reaches other accounts keylessly, " +
	"through a trusted profile in each account linked to this cluster (is_cross_account)"

const fixNoHub = "remove it; give each target account a trusted profile with a cross-account link to this " +
	"cluster and list it under targets: with its profileID (docs/enterprise.md)"

// hubKeys are keys that configure the hub-service-ID (assume) pattern, in
// their normalised form (lower case, no separators).
var hubKeys = []string{"serviceid", "hubserviceid", "serviceidapikey", "assume", "assumeprofile",
	"iamaccountid", "authtype", "apikeyfile", "apikeysecret"}

// refuseHubNodes reports keys under targets: and enterprise: that configure
// the hub-service-ID pattern, with the reason, so that strict decoding does
// not repeat them as unknown keys.
func refuseHubNodes(file string, root *yaml.Node, probs *Problems) {
	if root == nil || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	check := func(n *yaml.Node, path string) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			norm := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k.Value))
			if slices.Contains(hubKeys, norm) {
				*probs = append(*probs, Problem{File: file, Line: k.Line, Column: k.Column, Path: join(path, k.Value),
					Message: "the hub-service-ID pattern is refused: " + whyNoHub, Fix: fixNoHub})
			}
		}
	}
	doc := root.Content[0]
	if seq := Locate(root, "targets"); seq != nil && seq != root && seq.Kind == yaml.SequenceNode {
		for i, item := range seq.Content {
			check(item, fmt.Sprintf("targets[%d]", i))
		}
	}
	if e := Locate(root, "enterprise"); e != nil && e != root && e != doc {
		check(e, "enterprise")
	}
}
