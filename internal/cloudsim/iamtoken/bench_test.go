package iamtoken

import (
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

// BenchmarkTokenExchange is one cr-token exchange: verify the cr_token,
// evaluate trust, sign the access token.
func BenchmarkTokenExchange(b *testing.B) {
	w := account.Generate(account.DefaultSpec())
	s := testenv.NewServer(w, core.Options{MaxLogEntries: 1}, Mount)
	tok, err := w.MintSAToken(account.MintOptions{Namespace: "trustjob", ServiceAccount: "trustjob"})
	if err != nil {
		b.Fatal(err)
	}
	form := testenv.CRForm(tok, "profile_name", "trustjob-runner").Encode()
	b.ResetTimer()
	for range b.N {
		if code := postTokenForm(s, form); code != 200 {
			b.Fatal(code)
		}
	}
}
