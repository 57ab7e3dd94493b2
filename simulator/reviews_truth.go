package simulator

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The test side of customer reviews: what is served now (TruthReviews, AppStoreVersions)
// and the edits a developer makes (EditResponse, DeleteResponse).

// TruthReview is a customer review as served now.
type TruthReview struct {
	ID       string
	AppID    string
	Rating   int
	Title    string
	Body     string
	Nickname string
	// Created carries the review's original UTC offset as its location.
	Created time.Time
	// CreatedRaw is the exact createdDate text served.
	CreatedRaw string
	// Territory is the alpha-3 code.
	Territory string
	// VersionID is the appStoreVersions id the review belongs to.
	VersionID string
	// Response is the developer response visible now (PUBLISHED or PENDING_PUBLISH), or nil.
	Response *TruthResponse
}

// TruthResponse is a developer response as served now.
type TruthResponse struct {
	ID              string
	Body            string
	State           string // PUBLISHED or PENDING_PUBLISH
	LastModified    time.Time
	LastModifiedRaw string
}

// TruthVersion is an app store version reviews are tied to.
type TruthVersion struct {
	ID       string
	Version  string
	Released time.Time
}

func truthOfReview(rv *review, resp *reviewResponse) TruthReview {
	t := TruthReview{ID: rv.id, AppID: rv.app.appID, Rating: rv.rating, Title: rv.title, Body: rv.body,
		Nickname: rv.nick, Created: rv.created, CreatedRaw: rv.createdRaw, Territory: rv.territory,
		VersionID: rv.version.id}
	if resp != nil {
		t.Response = &TruthResponse{ID: resp.id, Body: resp.body, State: resp.state,
			LastModified: resp.at, LastModifiedRaw: resp.raw}
	}
	return t
}

// AppIDs returns the Apple ids of the catalog's apps (the ids of /v1/apps/{id}/…).
func (s *Server) AppIDs() []string {
	return slices.Clone(s.reviewsStore().order)
}

// AppStoreVersions returns the app's versions (oldest first) whose ids
// /v1/appStoreVersions/{id}/customerReviews accepts.
func (s *Server) AppStoreVersions(appID string) ([]TruthVersion, error) {
	st := s.reviewsStore()
	ar := st.apps[appID]
	if ar == nil {
		return nil, fmt.Errorf("reviews: no app with id %q", appID)
	}
	out := make([]TruthVersion, 0, len(ar.versions))
	for _, v := range ar.versions {
		out = append(out, TruthVersion{ID: v.id, Version: v.version, Released: v.released})
	}
	return out, nil
}

// TruthReviews returns every review of the app visible now (createdDate <= Now), newest
// first (ties by id ascending, as sort=-createdDate serves them), with the response visible
// now.
func (s *Server) TruthReviews(appID string) ([]TruthReview, error) {
	st := s.reviewsStore()
	ar := st.apps[appID]
	if ar == nil {
		return nil, fmt.Errorf("reviews: no app with id %q", appID)
	}
	now := s.now().Unix()
	st.mu.Lock()
	defer st.mu.Unlock()
	vis := slices.Clone(s.visible(st, ar, now))
	slices.SortStableFunc(vis, reviewOrder("-createdDate"))
	out := make([]TruthReview, len(vis))
	for i, rv := range vis {
		out[i] = truthOfReview(rv, st.responseAt(rv, now))
	}
	return out, nil
}

// EditResponse sets or replaces the developer response of a review (creating one if it has
// none). It takes effect at once; lastModifiedDate = at (whole seconds, in at's location),
// state PUBLISHED. The response keeps its id when it had one.
func (s *Server) EditResponse(reviewID, body string, at time.Time) error {
	return s.editReview(reviewID, func(st *reviewStore, rv *review) error {
		st.edits[reviewID] = &respEdit{resp: s.editedResponse(st, rv, body, at)}
		return nil
	})
}

// editedResponse is the response EditResponse sets: the review's response id (edited or
// generated) or a new one. st.mu must be held.
func (s *Server) editedResponse(st *reviewStore, rv *review, body string, at time.Time) *reviewResponse {
	id := ""
	if e := st.edits[rv.id]; e != nil && e.resp != nil {
		id = e.resp.id
	} else if rv.resp != nil {
		id = rv.resp.id
	} else {
		id = uniqueID(func(id string) bool { return st.respIDs[id] },
			"customerReviewResponses", strconv.FormatInt(s.opt.Seed, 10), rv.id, "edit")
		st.respIDs[id] = true
	}
	at = at.Round(0).Truncate(time.Second)
	return &reviewResponse{id: id, body: body, state: "PUBLISHED", at: at, raw: at.Format(responseLayout), unix: at.Unix()}
}

// DeleteResponse removes the developer response of a review (generated or edited, visible
// yet or not). It fails when the review is unknown or has no response.
func (s *Server) DeleteResponse(reviewID string) error {
	return s.editReview(reviewID, func(st *reviewStore, rv *review) error {
		e := st.edits[reviewID]
		if (e != nil && e.deleted) || (e == nil && rv.resp == nil) {
			return errors.New("reviews: review " + reviewID + " has no response")
		}
		st.edits[reviewID] = &respEdit{deleted: true}
		return nil
	})
}

// editReview runs edit on the generated review with that id (visible or not yet) with the
// store locked; an unknown id is an error.
func (s *Server) editReview(reviewID string, edit func(st *reviewStore, rv *review) error) error {
	st := s.reviewsStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	rv := s.findReview(st, reviewID)
	if rv == nil {
		return fmt.Errorf("reviews: no review with id %q", reviewID)
	}
	return edit(st, rv)
}

// findReview finds a generated review (visible or not yet) by id. st.mu must be held.
func (s *Server) findReview(st *reviewStore, id string) *review {
	now := s.now()
	for _, appID := range st.order {
		s.ensure(st, st.apps[appID], now)
	}
	return st.byID[id]
}
