package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// AccountOptions is one developer account of a Multi: its name and the Options of the
// Server that plays it (its issuer, vendor numbers, seed, apps, rate limit).
type AccountOptions struct {
	Name string
	Options
}

// Multi is App Store Connect with several developer accounts behind one address, each an
// account of its own: its issuer and keys, its vendor numbers and apps, its data (its own
// seed) and its own request budget per key. The token's issuer says which account a
// request is for.
//
// Decision (Several accounts): a key sees only its own account. A request naming another
// account's vendor number (filter[vendorNumber]) or app (/v1/apps/{id}/…) gets 403
// FORBIDDEN_ERROR after authentication and the rate budget, as Apple answers a key
// without access; a vendor number or app no account has keeps the single-account answers
// (400 "Invalid vendor number.", 404). A token whose issuer no account has is refused by
// the first account (401). Pre-signed analytics segment URLs go to the account whose
// signature they carry.
type Multi struct {
	names    []string
	servers  map[string]*Server
	byIssuer map[string]*Server
	vendors  map[string]string // vendor number → account
	apps     map[string]string // App Apple ID → account
}

// NewMulti builds the accounts. Names, issuers, vendor numbers and app ids must not be
// shared between accounts (give each account its own Seed so that their apps differ; see
// AccountSeed).
func NewMulti(accounts []AccountOptions) (*Multi, error) {
	if len(accounts) == 0 {
		return nil, fmt.Errorf("simulator: no accounts")
	}
	m := &Multi{servers: map[string]*Server{}, byIssuer: map[string]*Server{}, vendors: map[string]string{}, apps: map[string]string{}}
	for _, a := range accounts {
		if a.Name == "" || m.servers[a.Name] != nil {
			return nil, fmt.Errorf("simulator: account name %q is empty or used twice", a.Name)
		}
		opt := a.Options
		if opt.IssuerID == "" {
			opt.IssuerID = AccountIssuer(a.Name)
		}
		s := New(opt)
		if m.byIssuer[s.opt.IssuerID] != nil {
			return nil, fmt.Errorf("simulator: account %s: issuer %s is another account's", a.Name, s.opt.IssuerID)
		}
		for _, v := range s.opt.Vendors {
			if o, dup := m.vendors[v]; dup {
				return nil, fmt.Errorf("simulator: account %s: vendor number %s is account %s's", a.Name, v, o)
			}
			m.vendors[v] = a.Name
		}
		for id := range s.model().byID {
			if o, dup := m.apps[id]; dup {
				return nil, fmt.Errorf("simulator: account %s: app %s is account %s's too (use another seed)", a.Name, id, o)
			}
			m.apps[id] = a.Name
		}
		s.forbid = m.foreign(a.Name)
		m.names = append(m.names, a.Name)
		m.servers[a.Name], m.byIssuer[s.opt.IssuerID] = s, s
	}
	return m, nil
}

// AccountIssuer is the issuer id a Multi gives an account that names none: a UUID made
// from the name, so it is the same in every process.
func AccountIssuer(name string) string {
	h := sha256.Sum256([]byte("asc-simulator-issuer|" + name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// AccountSeed derives an account's data seed from a base seed and its name.
func AccountSeed(seed int64, name string) int64 { return derivedSeed(seed, "account", name) }

func derivedSeed(seed int64, kind, value string) int64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(kind + "\x00" + value))
	return int64(h.Sum64() &^ (1 << 63))
}

// Account returns an account's server (nil when there is none): its keys (AddKey,
// RemoveKey), truth and stats.
func (m *Multi) Account(name string) *Server { return m.servers[name] }

// Accounts lists the account names in the order given.
func (m *Multi) Accounts() []string { return slices.Clone(m.names) }

// AccountOfVendor and AccountOfApp say whose a vendor number or app is ("" for nobody's).
func (m *Multi) AccountOfVendor(v string) string { return m.vendors[v] }
func (m *Multi) AccountOfApp(id string) string   { return m.apps[id] }

// Stats adds up the accounts' request counters.
func (m *Multi) Stats() Stats {
	out := newStats()
	for _, n := range m.names {
		st := m.servers[n].Stats()
		out.Requests += st.Requests
		out.Unauthorized += st.Unauthorized
		out.RateLimited += st.RateLimited
		for k, v := range st.ByPath {
			out.ByPath[k] += v
		}
		for k, v := range st.ByStatus {
			out.ByStatus[k] += v
		}
	}
	return out
}

// ServeHTTP hands the request to the account its token's issuer names.
func (m *Multi) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, segmentPrefix) {
		m.signer(r).ServeHTTP(w, r)
		return
	}
	s := m.servers[m.names[0]]
	if o := m.byIssuer[tokenIssuer(r)]; o != nil {
		s = o
	}
	s.ServeHTTP(w, r)
}

// tokenIssuer reads the iss claim of the bearer token without verifying it (the account's
// server verifies it).
func tokenIssuer(r *http.Request) string {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimSpace(raw), claims); err != nil {
		return ""
	}
	iss, _ := claims["iss"].(string)
	return iss
}

// signer is the account whose signature a pre-signed segment URL carries (the first
// account when none does: it answers SignatureDoesNotMatch).
func (m *Multi) signer(r *http.Request) *Server {
	q := r.URL.Query()
	segID := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, segmentPrefix), ".csv.gz")
	for _, n := range m.names {
		s := m.servers[n]
		if hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(s.presignSig(segID, q.Get("X-Amz-Date"), q.Get("X-Amz-Expires")))) {
			return s
		}
	}
	return m.servers[m.names[0]]
}

// foreign says whether a request of account self names another account's vendor number
// or app.
func (m *Multi) foreign(self string) func(r *http.Request) bool {
	return func(r *http.Request) bool {
		if v := r.URL.Query().Get("filter[vendorNumber]"); v != "" {
			if o, ok := m.vendors[v]; ok && o != self {
				return true
			}
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v1/apps/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			if o, ok := m.apps[id]; ok && o != self {
				return true
			}
		}
		return false
	}
}

// Vendors lists every account's vendor numbers, sorted (for messages and tests).
func (m *Multi) Vendors() []string {
	out := make([]string, 0, len(m.vendors))
	for v := range m.vendors {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
