package cloudsim

import "testing"

// BenchmarkSeededRSAKey is the cost of a world's signing keys before the
// per-process cache (each Generate of a new seed pays it twice).
func BenchmarkSeededRSAKey(b *testing.B) {
	for i := range b.N {
		seededRSAKey(uint64(i)+1e6, 2048)
	}
}

// BenchmarkTokenExchange is one cr-token exchange: verify the cr_token,
// evaluate trust, sign the access token.
func BenchmarkTokenExchange(b *testing.B) {
	w := Generate(DefaultSpec())
	s := New(w, Options{MaxLogEntries: 1})
	tok, err := w.MintSAToken(MintOptions{Namespace: "trustjob", ServiceAccount: "trustjob"})
	if err != nil {
		b.Fatal(err)
	}
	form := crForm(tok, "profile_name", "trustjob-runner").Encode()
	b.ResetTimer()
	for range b.N {
		if code := postTokenForm(s, form); code != 200 {
			b.Fatal(code)
		}
	}
}
