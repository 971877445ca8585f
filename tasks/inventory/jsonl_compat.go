package inventory

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/trustjob/trustjob/internal/report"
)

// readJSONLLocal stands in for report.ReadJSONL until internal/report lands.
func readJSONLLocal(path string, fn func(report.Row) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r report.Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return sc.Err()
}
