package resources

import (
	"fmt"
	"time"
)

// Global Search indexes more than Resource Controller's instances: VPC
// infrastructure (family is: VPCs, subnets, virtual server instances,
// volumes, security groups), Kubernetes clusters and COS buckets. The emulator
// adds Behaviour.SearchOnlyDocs such documents after the instances, in the
// document shape IBM shows (crn, name, family, type, region,
// resource_group_id, tags, service_tags, access_tags, creation_date, ...).
// They are generated from their number, so a million cost no memory.

var searchKinds = []struct {
	service, family, typ, crnType string
}{
	{"is", "is", "vpc", "vpc"},
	{"is", "is", "subnet", "subnet"},
	{"is", "is", "instance", "instance"},
	{"is", "is", "volume", "volume"},
	{"is", "is", "security-group", "security-group"},
	{"containers-kubernetes", "containers", "k8-cluster", "cluster"},
	{"cloud-object-storage", "resource_controller", "bucket", "bucket"},
}

// searchDoc is one generated document beyond the instances.
type searchDoc struct {
	crn, name, family, typ, service, region, group, created string
	tags                                                    []string
}

func (st *State) searchDoc(k int) searchDoc {
	kind := searchKinds[k%len(searchKinds)]
	h := st.rsHash(k, 0x736561726368)
	regions := []string{"us-south", "us-east", "eu-de", "eu-gb", "jp-tok"}
	region := regions[h%uint64(len(regions))]
	var group string
	if len(st.Groups) > 0 {
		group = st.Groups[(h>>8)%uint64(len(st.Groups))].ID
	}
	id := fmt.Sprintf("r006-%08x-%04x-%04x", uint32(h>>16), uint16(k), uint16(h))
	crn := fmt.Sprintf("crn:v1:bluemix:public:%s:%s:a/%s::%s:%s", kind.service, region, st.account, kind.crnType, id)
	created := rsEpoch.Add(-time.Duration(h%(3*365*24)) * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	var tags []string
	if h&3 == 0 {
		tags = []string{"env:prod"}
	}
	return searchDoc{crn: crn, name: fmt.Sprintf("%s-%d", kind.typ, k), family: kind.family, typ: kind.typ,
		service: kind.service, region: region, group: group, created: created, tags: tags}
}

// values returns a generated document's field values, as rsDoc.values does
// for instances.
func (d *searchDoc) values(field string, account string) []string {
	switch field {
	case "crn":
		return []string{d.crn}
	case "name":
		return []string{d.name}
	case "family":
		return []string{d.family}
	case "type":
		return []string{d.typ}
	case "account_id":
		return []string{account}
	case "region":
		return []string{d.region}
	case "service_name":
		return []string{d.service}
	case "resource_group_id":
		return []string{d.group}
	case "creation_date":
		return []string{d.created}
	case "tags":
		return d.tags
	case "service_tags", "access_tags":
		return nil
	}
	return nil
}
