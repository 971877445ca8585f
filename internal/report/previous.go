package report

import (
	"bufio"
	"context"
	"errors"
	"io"
)

// ErrOtherAccount is wrapped when stored reports (an output directory, or
// Previous.OpenLatest's object) belong to another IBM Cloud account:
// comparing against them would report every instance as created and every
// old one as deleted.
var ErrOtherAccount = errors.New("the stored reports belong to another account")

// Previous opens the latest complete report of a task from where the run keeps
// its reports when that is not the output directory: with output.cos, the
// bucket (internal/deliver/cos). Change reports read their baseline through it.
type Previous interface {
	// OpenLatest streams task's latest.<ext>. It returns an error wrapping
	// fs.ErrNotExist when there is none, and refuses (with an error) a report
	// another account wrote. Each call opens the same version: a second read
	// of a baseline never sees a newer object.
	OpenLatest(ctx context.Context, task, ext string) (io.ReadCloser, error)
	// Describe names task's latest.<ext> for messages (e.g. cos://bucket/key).
	Describe(task, ext string) string
}

// ReadJSONLFrom is ReadJSONL over a stream; name is used in errors.
func ReadJSONLFrom(name string, r io.Reader, fn func(Row) error) error {
	return readJSONL(name, bufio.NewScanner(r), fn)
}
