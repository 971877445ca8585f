package account

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// tpCRTypes are the compute-resource types IAM accepts in links and rules.
var tpCRTypes = []string{"BMS", "CE", CRTypeIKS, "PVS", CRTypeROKS, "VSI"}

// Validate checks a link of trusted profile p the way the API does before storing it.
func (l *Link) Validate(p *Profile) error {
	if err := l.ValidateBody(); err != nil {
		return err
	}
	parts := strings.Split(l.CRN, ":")
	if acct := strings.TrimPrefix(parts[6], "a/"); acct != p.AccountID && !l.IsCrossAccount {
		return fmt.Errorf("link.crn is in account %s but the trusted profile is in %s; set is_cross_account", acct, p.AccountID)
	}
	return nil
}

// ValidateBody checks what needs no profile: IAM answers a malformed link 400
// before it looks the profile up (IBM's CreateLinkBadRequest test sends a bad
// cr_type to a profile that does not exist and expects 400, not 404).
func (l *Link) ValidateBody() error {
	if l.CRType == "" {
		//lint:ignore ST1005 IBM's exact message
		return errors.New("Property 'cr_type' either missing or empty.")
	}
	if !slices.Contains(tpCRTypes, l.CRType) {
		return fmt.Errorf("cr_type '%s' is invalid; valid values: %s", core.Clip(l.CRType, 40), strings.Join(tpCRTypes, ", "))
	}
	if l.CRN == "" {
		//lint:ignore ST1005 IBM's exact message
		return errors.New("Property 'link.crn' either missing or empty.")
	}
	parts := strings.Split(l.CRN, ":")
	if len(parts) < 8 || parts[0] != "crn" || !strings.HasPrefix(parts[6], "a/") {
		return fmt.Errorf("link.crn '%s' is not a valid CRN", core.Clip(l.CRN, 200))
	}
	switch l.CRType {
	case CRTypeIKS, CRTypeROKS:
		if l.Namespace == "" || l.ServiceAccount == "" {
			return fmt.Errorf("link.namespace and link.name are required for cr_type %s", l.CRType)
		}
	case "CE":
		if l.ComponentType == "" || l.ComponentName == "" {
			return errors.New("link.component_type and link.component_name are required for cr_type CE")
		}
	}
	return nil
}

var (
	tpRuleOperators = []string{"CONTAINS", "EQUALS", "EQUALS_IGNORE_CASE", "IN", "NOT_EQUALS", "NOT_EQUALS_IGNORE_CASE"}
	tpCRClaims      = []string{"location", "name", "namespace", "pod", "resource_group_id", "resource_group_name", "service_instance"}
)

// Validate checks a claim rule; "" type means Profile-CR and "" cr_type
// IKS_SA (fixture defaults).
func (ru *Rule) Validate() error {
	typ := ru.Type
	if typ == "" {
		typ = RuleTypeCR
	}
	if typ != RuleTypeCR && typ != "Profile-SAML" {
		return fmt.Errorf("type '%s' is invalid; valid values: Profile-CR, Profile-SAML", core.Clip(typ, 40))
	}
	if ru.CRType != "" && !slices.Contains(tpCRTypes, ru.CRType) {
		return fmt.Errorf("cr_type '%s' is invalid; valid values: %s", core.Clip(ru.CRType, 40), strings.Join(tpCRTypes, ", "))
	}
	if len(ru.Conditions) == 0 {
		//lint:ignore ST1005 IBM's exact message
		return errors.New("Property 'conditions' either missing or empty.")
	}
	for i, c := range ru.Conditions {
		if c.Claim == "" || c.Operator == "" || c.Value == "" {
			return fmt.Errorf("conditions[%d]: claim, operator and value are required", i)
		}
		if !slices.Contains(tpRuleOperators, c.Operator) {
			return fmt.Errorf("conditions[%d]: operator '%s' is invalid; valid values: %s", i, core.Clip(c.Operator, 40), strings.Join(tpRuleOperators, ", "))
		}
		crt := ru.CRType
		if (crt == "" || crt == CRTypeIKS || crt == CRTypeROKS) && typ == RuleTypeCR && !slices.Contains(tpCRClaims, c.Claim) {
			return fmt.Errorf("conditions[%d]: claim '%s' is not a %s attribute; valid claims: %s", i, core.Clip(c.Claim, 40), CRTypeIKS, strings.Join(tpCRClaims, ", "))
		}
	}
	return nil
}
