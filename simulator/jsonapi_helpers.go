package simulator

import (
	"net/http"
	"slices"
	"strings"
)

// Shared steps of the catalog, TestFlight and Xcode Cloud handlers (see catalog_jsonapi.go).

// serveByID answers a single-resource GET: the request is validated against sp, find looks
// the resource up (a 404 naming typ and id when it is absent) and render builds it.
func serveByID[T any](s *Server, w http.ResponseWriter, r *http.Request, sp reqSpec, typ, id string,
	find func(jq *jreq) *T, render func(jq *jreq, v *T) *jres) {
	jq, e := s.parseJReq(r, sp)
	if e != nil {
		writeError(w, e)
		return
	}
	v := find(jq)
	if !found(w, v, typ, id) {
		return
	}
	serveOne(w, jq, render(jq, v))
}

// openList validates a listing request against sp (limit and cursor allowed), runs check
// (filters, sort; may be nil) and resolves the cursor. On failure it writes the error and
// returns a nil jq.
func (s *Server) openList(w http.ResponseWriter, r *http.Request, sp reqSpec,
	check func(jq *jreq) *httpError) (jq *jreq, off uint64, snap int64) {
	sp.list = true
	jq, e := s.parseJReq(r, sp)
	if e == nil && check != nil {
		e = check(jq)
	}
	if e == nil {
		off, snap, e = s.pageOf(jq)
	}
	if e != nil {
		writeError(w, e)
		return nil, 0, 0
	}
	return jq, off, snap
}

// found reports whether v is there, writing the 404 for typ and id when it is not.
func found[T any](w http.ResponseWriter, v *T, typ, id string) bool {
	if v == nil {
		writeError(w, errNoResource(typ, id))
		return false
	}
	return true
}

// orderBy sorts items stably by cmp, descending when sort starts with '-'; an empty sort
// leaves the order alone.
func orderBy[T any](items []T, sort string, cmp func(a, b T) int) {
	if sort == "" {
		return
	}
	desc := sort[0] == '-'
	slices.SortStableFunc(items, func(a, b T) int {
		c := cmp(a, b)
		if desc {
			c = -c
		}
		return c
	})
}

// byKey compares by a string key.
func byKey[T any](key func(T) string) func(a, b T) int {
	return func(a, b T) int { return strings.Compare(key(a), key(b)) }
}

// openListUnder is openList for a listing under a parent resource: find looks the parent up
// once the request is valid (a 404 naming typ and id when it is absent). On failure it
// writes the error and returns a nil parent.
func openListUnder[P any](s *Server, w http.ResponseWriter, r *http.Request, sp reqSpec, typ, id string,
	find func(jq *jreq) *P, check func(jq *jreq) *httpError) (jq *jreq, off uint64, snap int64, parent *P) {
	jq, off, snap = s.openList(w, r, sp, check)
	if jq == nil {
		return nil, 0, 0, nil
	}
	if parent = find(jq); !found(w, parent, typ, id) {
		return nil, 0, 0, nil
	}
	return jq, off, snap, parent
}
