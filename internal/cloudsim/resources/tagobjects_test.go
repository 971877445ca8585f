package resources_test

import (
	"slices"
	"testing"

	"github.com/IBM/platform-services-go-sdk/globaltaggingv1"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// Access tags are objects that outlive their attachments; user tags vanish
// when detached from their last resource; attached_only lists only attached
// tags (issue 13, as IBM's Global Tagging integration test expects).
func TestTagObjects(t *testing.T) {
	c := rsStart(t, rsSpec(), core.Options{})
	list := rsListAll(t, c, &resourcecontrollerv2.ListResourceInstancesOptions{})
	crn := *list[0].CRN
	names := func(typ string, attachedOnly bool) []string {
		t.Helper()
		o := c.gt.NewListTagsOptions().SetTagType(typ).SetLimit(1000)
		if attachedOnly {
			o.SetAttachedOnly(true)
		}
		l, _, err := c.gt.ListTags(o)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range l.Items {
			out = append(out, *x.Name)
		}
		return out
	}
	created, resp, err := c.gt.CreateTag(c.gt.NewCreateTagOptions([]string{"team:blue", "team:red"}).SetTagType("access"))
	if err != nil || resp.StatusCode != 200 || len(created.Results) != 2 || *created.Results[0].IsError {
		t.Fatalf("create: %v %v %+v", resp, err, created)
	}
	if got := names("access", false); !slices.Contains(got, "team:blue") {
		t.Errorf("a created access tag is not listed: %v", got)
	}
	if got := names("access", true); slices.Contains(got, "team:blue") {
		t.Errorf("attached_only lists an unattached tag: %v", got)
	}
	if _, _, err := c.gt.CreateTag(c.gt.NewCreateTagOptions([]string{"x"}).SetTagType("user")); err == nil {
		t.Error("a user tag was created without a resource")
	}

	res := []globaltaggingv1.Resource{{ResourceID: &crn}}
	for _, typ := range []string{"user", "access"} {
		tag := map[string]string{"user": "fidelity-only-here", "access": "team:red"}[typ]
		if _, _, err := c.gt.AttachTag(c.gt.NewAttachTagOptions().SetTagNames([]string{tag}).SetResources(res).SetTagType(typ)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.gt.DetachTag(c.gt.NewDetachTagOptions().SetResources(res).SetTagNames([]string{tag}).SetTagType(typ)); err != nil {
			t.Fatal(err)
		}
		del, resp, err := c.gt.DeleteTag(c.gt.NewDeleteTagOptions(tag).SetTagType(typ))
		if err != nil || resp.StatusCode != 200 || len(del.Results) != 1 {
			t.Fatalf("delete %s tag: %v %v", typ, resp, err)
		}
		// The user tag went with its last attachment; the access tag was
		// still there to delete.
		if want := typ == "user"; *del.Results[0].IsError != want {
			t.Errorf("delete %s tag %s: is_error %v, want %v", typ, tag, *del.Results[0].IsError, want)
		}
	}
	all, resp, err := c.gt.DeleteTagAll(c.gt.NewDeleteTagAllOptions().SetTagType("access"))
	if err != nil || resp.StatusCode != 200 || *all.TotalCount != 1 || *all.Items[0].TagName != "team:blue" {
		t.Fatalf("delete all unused: %v %v %+v", resp, err, all)
	}
	if got := names("access", false); slices.Contains(got, "team:blue") {
		t.Errorf("deleted tag still listed: %v", got)
	}
}
