package simulator

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Builds: what the listing GET /v1/apps/{id}/builds (and GET /v1/builds/{id}) that a metrics
// loader walks to find build ids serves (the handlers are in metrics_http.go).

// BuildsPerApp is the number of builds every catalog app has (one per app version).
const BuildsPerApp = 6

// build is one uploaded build of an app; everything in it is a pure function of the seed
// and the app.
type build struct {
	app      *app
	appID    string
	index    int    // 0 = oldest
	id       string // UUID-shaped
	version  string // app version (CFBundleShortVersionString), the metrics' point version
	number   string // build number (CFBundleVersion), the builds resource's "version"
	uploaded time.Time
}

// TruthBuild is a build as GET /v1/apps/{id}/builds serves it.
type TruthBuild struct {
	ID string
	// Version is the build number (attributes.version), e.g. "412".
	Version string
	// AppVersion is the app version the build carries (the "version" of metric points and
	// diagnosticMetaData.appVersion), e.g. "3.4.12".
	AppVersion string
	// Uploaded carries the served offset (Pacific) as its location.
	Uploaded time.Time
}

const buildDateLayout = "2006-01-02T15:04:05-07:00"

// uuidOf is a deterministic UUID-shaped (version 4 layout) id of the parts.
func uuidOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func appIDOf(a *app) string { return strconv.FormatInt(a.id, 10) }

func (s *Server) appByID(id string) *app {
	for _, a := range s.cat.apps {
		if appIDOf(a) == id {
			return a
		}
	}
	return nil
}

// appBuilds returns the app's builds, oldest first: the four newest carry the version
// strings of its appStoreVersions (uploaded 2–12 days before that version's release), the
// two oldest step the minor version further back, 182 days apart.
//
// Decision (Builds): BuildsPerApp (6) per app, one per app version, oldest first: the four
// newest carry the versions of AppStoreVersions (uploaded 2–12 days before that release), the
// two oldest step the minor version back (182 days apart). The builds attribute "version" is
// the build number (increasing, e.g. "218"); the app version is what metric points and
// diagnosticMetaData.appVersion carry. Ids are UUID-shaped hashes of seed, app and version.
// uploadedDate has a Pacific offset ("-07:00"/"-08:00", never "Z"); expirationDate = +90 days,
// expired against Now; processingState always VALID. A build exists once uploadedDate ≤ Now
// (unknown or future ids: 404 "There is no resource of type 'builds' with id 'X'").
func (s *Server) appBuilds(a *app) []*build {
	vs := s.appVersions(a)
	var maj, mnr, pat int
	if _, err := fmt.Sscanf(a.version, "%d.%d.%d", &maj, &mnr, &pat); err != nil {
		maj, mnr = 1, 0
	}
	r := s.rng("builds", a.sku)
	num := 100 + r.IntN(400)
	out := make([]*build, BuildsPerApp)
	for k := range BuildsPerApp {
		back := BuildsPerApp - 1 - k
		var ver string
		var rel time.Time
		if back < len(vs) {
			v := vs[len(vs)-1-back]
			ver, rel = v.version, v.released
		} else {
			m, n := maj, mnr-back
			if n < 0 {
				m, n = max(maj-1, 0), 10+n
			}
			ver = fmt.Sprintf("%d.%d.0", m, n)
			rel = vs[0].released.Add(-time.Duration(back-len(vs)+1) * 182 * day)
		}
		up := rel.Add(-time.Duration(2*24*3600+r.IntN(10*24*3600)) * time.Second).Truncate(time.Second)
		up = up.In(zoneOf(offsetAt(-480, 1, up)))
		num += 3 + r.IntN(40)
		out[k] = &build{app: a, appID: appIDOf(a), index: k, version: ver, number: strconv.Itoa(num),
			uploaded: up, id: uuidOf("asc-build", strconv.FormatInt(s.opt.Seed, 10), a.sku, ver)}
	}
	return out
}

// visibleBuilds are the app's builds uploaded at or before t, oldest first.
func (s *Server) visibleBuilds(a *app, t time.Time) []*build {
	var out []*build
	for _, b := range s.appBuilds(a) {
		if !b.uploaded.After(t) {
			out = append(out, b)
		}
	}
	return out
}

// buildByID finds a build uploaded at or before t; nil if there is none with that id.
func (s *Server) buildByID(id string, t time.Time) *build {
	for _, a := range s.cat.apps {
		for _, b := range s.visibleBuilds(a, t) {
			if b.id == id {
				return b
			}
		}
	}
	return nil
}

// Builds returns the app's builds uploaded by Now, newest first (the default order of
// GET /v1/apps/{id}/builds); nil for an unknown app.
func (s *Server) Builds(appID string) []TruthBuild {
	a := s.appByID(appID)
	if a == nil {
		return nil
	}
	bs := s.visibleBuilds(a, s.now())
	out := make([]TruthBuild, 0, len(bs))
	for i := len(bs) - 1; i >= 0; i-- {
		b := bs[i]
		out = append(out, TruthBuild{ID: b.id, Version: b.number, AppVersion: b.version, Uploaded: b.uploaded})
	}
	return out
}
