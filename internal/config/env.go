package config

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Environment variables that override auth keys. The environment wins over the
// file, and the file wins over defaults. An empty variable counts as unset.
const (
	EnvProfileName = "TRUSTJOB_PROFILE_NAME"
	EnvProfileID   = "TRUSTJOB_PROFILE_ID"
	EnvCRTokenFile = "TRUSTJOB_CR_TOKEN_FILE"
	EnvIAMURL      = "TRUSTJOB_IAM_URL"
	// EnvAllowedHosts adds comma-separated hosts to allowedHosts: whoever
	// points a service URL variable at a host can allow that host in the same
	// place (`trustjob sim` prints both).
	EnvAllowedHosts = "TRUSTJOB_ALLOWED_HOSTS"
)

// ServiceURLVariables are the IBM SDK's own per-service endpoint overrides,
// honoured by internal/ibmcloud and listed here for documentation and
// `trustjob validate`.
var ServiceURLVariables = []string{
	"RESOURCE_CONTROLLER_URL", "RESOURCE_MANAGER_URL", "IAM_IDENTITY_URL",
	"GLOBAL_SEARCH_URL", "GLOBAL_TAGGING_URL", "IAM_ACCESS_GROUPS_URL",
	"IAM_POLICY_MANAGEMENT_URL", "USAGE_REPORTS_URL", "USER_MANAGEMENT_URL",
	"ENTERPRISE_MANAGEMENT_URL",
}

// whyNoAPIKey is the explanation attached to every refused API-key setting.
const whyNoAPIKey = "trustjob never uses an IBM Cloud API key: it signs in as a trusted profile " +
	"with the pod's projected service-account token, which expires within the hour and only works " +
	"for the workload IAM trusts, so there is no long-lived secret to store, rotate or leak"

const fixNoAPIKey = "remove it; set auth.profileName or auth.profileID and mount the projected " +
	"token (README, \"Sign-in\")"

// environ turns os.Environ-style "K=V" entries into a map.
func environ(kv []string) map[string]string {
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		if k, v, ok := strings.Cut(e, "="); ok {
			m[k] = v
		}
	}
	return m
}

// applyEnv overrides auth keys from the environment. It returns, per field
// path, the variable that set it, so problems with the value can name it.
// TRUSTJOB_PROFILE_NAME or TRUSTJOB_PROFILE_ID replaces the file's profile as
// a whole: the profile is one setting written two ways, and mixing a name from
// the environment with an ID from the file is never what was meant.
func applyEnv(a *Auth, env map[string]string) map[string]string {
	from := map[string]string{}
	name, id := env[EnvProfileName], env[EnvProfileID]
	if name != "" || id != "" {
		a.ProfileName, a.ProfileID = name, id
		if name != "" {
			from["auth.profileName"] = EnvProfileName
		}
		if id != "" {
			from["auth.profileID"] = EnvProfileID
		}
	}
	setFromEnv(env, from, &a.CRTokenFile, EnvCRTokenFile, "auth.crTokenFile")
	setFromEnv(env, from, &a.IAMURL, EnvIAMURL, "auth.iamURL")
	return from
}

// setFromEnv replaces *field with the variable name when it is set, and notes
// in from that key came from it.
func setFromEnv(env, from map[string]string, field *string, name, key string) {
	if v := env[name]; v != "" {
		*field = v
		from[key] = name
	}
}

// applyAllowedHostsEnv appends TRUSTJOB_ALLOWED_HOSTS to cfg.AllowedHosts and
// records which entries came from it.
func applyAllowedHostsEnv(cfg *Config, env map[string]string, from map[string]string) {
	for _, h := range strings.Split(env[EnvAllowedHosts], ",") {
		if h = strings.TrimSpace(h); h != "" {
			from[fmt.Sprintf("allowedHosts[%d]", len(cfg.AllowedHosts))] = EnvAllowedHosts
			cfg.AllowedHosts = append(cfg.AllowedHosts, h)
		}
	}
}

// ibmCLIKeyVariables are the IBM Cloud CLI's and Terraform provider's API-key
// variables.
var ibmCLIKeyVariables = []string{"IBMCLOUD_API_KEY", "IC_API_KEY", "BLUEMIX_API_KEY", "BM_API_KEY"}

// refuseAPIKeyEnv reports every API-key setting in the environment: the IBM
// CLI's variables, the SDK's <SERVICE>_APIKEY and <SERVICE>_AUTH_TYPE=iam
// properties, and an IBM_CREDENTIALS_FILE that holds an APIKEY.
func refuseAPIKeyEnv(env map[string]string) Problems {
	var probs Problems
	refuse := func(name, what string) {
		probs = append(probs, Problem{
			Path:    "$" + name,
			Message: what + " is refused: " + whyNoAPIKey,
			Fix:     "unset " + name + " in the pod spec or shell",
		})
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := env[k]
		if v == "" {
			continue
		}
		upper := strings.ToUpper(k)
		switch {
		case contains(ibmCLIKeyVariables, upper):
			refuse(k, "an API key in the environment")
		case strings.HasSuffix(upper, "_APIKEY"):
			refuse(k, "an IBM SDK API-key property")
		case strings.HasSuffix(upper, "_AUTH_TYPE") && strings.EqualFold(strings.TrimSpace(v), "iam"):
			refuse(k, "IBM SDK authentication type \"iam\" (API key)")
		case strings.HasSuffix(upper, "_AUTH_TYPE") && strings.EqualFold(strings.TrimSpace(v), "iamAssume"):
			refuse(k, "IBM SDK authentication type \"iamAssume\" (a hub service ID's API key)")
		case upper == "IBM_CREDENTIALS_FILE" && credentialsFileHasAPIKey(v):
			refuse(k, fmt.Sprintf("the credentials file %s holds an APIKEY and", v))
		}
	}
	return probs
}

// credentialsFileHasAPIKey reports whether an IBM SDK credentials file sets an
// APIKEY property. A file that cannot be read is left to the SDK (trustjob does
// not read it either).
func credentialsFileHasAPIKey(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		k, _, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
		if ok && bytes.HasSuffix(bytes.ToUpper(bytes.TrimSpace(k)), []byte("APIKEY")) {
			return true
		}
	}
	return false
}

// isAPIKeyName reports whether a YAML key names an API key: apikey, apiKey,
// api_key, api-key, and the same with a prefix such as ibmcloud_api_key.
func isAPIKeyName(key string) bool {
	norm := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(key))
	lower := strings.ToLower(key)
	return norm == "apikey" ||
		strings.HasSuffix(lower, "_apikey") || strings.HasSuffix(lower, "_api_key") ||
		strings.HasSuffix(lower, "-apikey") || strings.HasSuffix(lower, "-api-key")
}

// refuseAPIKeyNodes walks the raw document, task options included, and reports
// every key that names an API key. It works on the node tree rather than the
// decoded structs so that no task type can accept one by accident. Aliases are
// not followed: their anchors are walked where they are defined.
func refuseAPIKeyNodes(file string, n *yaml.Node, path string, depth int, probs *Problems) {
	if n == nil || depth > maxWalkDepth {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			refuseAPIKeyNodes(file, c, path, depth+1, probs)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			refuseAPIKeyNodes(file, c, fmt.Sprintf("%s[%d]", path, i), depth+1, probs)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := join(path, k.Value)
			if k.Kind == yaml.ScalarNode && isAPIKeyName(k.Value) {
				*probs = append(*probs, Problem{
					File: file, Line: k.Line, Column: k.Column, Path: p,
					Message: "an API key setting is refused: " + whyNoAPIKey,
					Fix:     fixNoAPIKey,
				})
			}
			refuseAPIKeyNodes(file, n.Content[i+1], p, depth+1, probs)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
