package transform

// Customer reviews come as JSON:API pages (GET /v1/apps/{id}/customerReviews with
// include=response), not TSV. DecodeReviewPage turns one page into Reviews, ReviewRecords
// turns reviews into the customer_reviews and review_responses record batches.
//
// Null rules (the Review/Response fields are plain strings, Absent says which are null):
//   - title, body, reviewerNickname, territory absent or JSON null → column null;
//     an empty string "" stays "" (not null).
//   - territory_alpha2 is null when territory is null, "" when territory is present but
//     not a known code (territory.Alpha2), else the alpha-2 code.
//   - responseBody, state absent or null → null; lastModifiedDate absent or null → null
//     (Response.LastModified zero).
//
// Text is kept exactly as decoded from JSON (no trimming, no Unicode normalisation);
// JSON escapes are resolved. As with encoding/json, invalid UTF-8 bytes and lone
// surrogate escapes in a string become U+FFFD: Arrow utf8 must be valid UTF-8.
//
// Timestamps are stored at microsecond precision; finer fractions are truncated.

import (
	"encoding/json"
	"fmt"
	"time"
)

// JSON:API resource types of the reviews endpoint.
const (
	ReviewType   = "customerReviews"
	ResponseType = "customerReviewResponses"
)

// Attr is a set of optional attributes; Review.Absent and Response.Absent use it to mark
// attributes that were absent or null in the JSON (their columns are null).
type Attr uint8

// Optional attributes.
const (
	AttrTitle        Attr = 1 << iota // customerReviews.attributes.title
	AttrBody                          // customerReviews.attributes.body
	AttrNickname                      // customerReviews.attributes.reviewerNickname
	AttrTerritory                     // customerReviews.attributes.territory
	AttrResponseBody                  // customerReviewResponses.attributes.responseBody
	AttrState                         // customerReviewResponses.attributes.state
)

// Has reports whether every attribute of b is in a.
func (a Attr) Has(b Attr) bool { return a&b == b }

// Review is one customerReviews resource.
type Review struct {
	ID         string
	Rating     int64 // 1–5
	Title      string
	Body       string
	Nickname   string
	CreatedAt  time.Time // UTC
	Offset     string    // offset as written in createdDate: "-08:00", "+05:30", "Z"
	Territory  string    // alpha-3 as sent
	Territory2 string    // alpha-2 (territory.Alpha2); "" when unknown or absent
	Absent     Attr      // optional attributes that were absent or null
	Response   *Response // nil when the review has no response on the page
	SourceKey  string    // raw object key of the page
	SourceLine int64     // 1-based position of the review in its page's data[]
}

// Month is the review's partition month, "YYYY-MM" of CreatedAt in UTC.
func (r *Review) Month() string { return r.CreatedAt.UTC().Format("2006-01") }

// Response is one customerReviewResponses resource (the developer's reply).
type Response struct {
	ID           string
	Body         string
	State        string    // PUBLISHED, PENDING_PUBLISH
	LastModified time.Time // UTC; zero when absent or null (column null)
	Absent       Attr      // AttrResponseBody, AttrState
}

// ReviewPage is one decoded page of the list endpoint.
type ReviewPage struct {
	Reviews []Review
	Next    string // links.next, "" on the last page
	Total   int    // meta.paging.total, 0 when absent
}

// DecodeReviewPage decodes one page of GET /v1/apps/{id}/customerReviews (key is the raw
// object key, for lineage and errors). Reviews are data[] in order; each gets the
// customerReviewResponses resource of included[] that its relationships.response.data.id
// names or, when that linkage is absent or null, the one whose relationships.review.data.id
// names the review. Other included types (territories) and unknown members are ignored.
//
// Strict: a review needs a non-empty id, type customerReviews, an integer rating 1–5 and
// a createdDate in RFC 3339 with offset; a response needs an id and, if present, a valid
// lastModifiedDate. A review id repeated on the page, a response linked to two reviews,
// links that disagree, or a linked response missing from included[] are errors. An
// unknown territory code is not an error (Territory2 ""). Errors are *JSONError naming
// the key, the resource (review or included, 1-based index, id) and the JSON path
// inside it.
func DecodeReviewPage(key string, data []byte) (ReviewPage, error) {
	d := jdec{key: key}
	var pg jsonPage
	if err := d.document(data, &pg); err != nil {
		return ReviewPage{}, err
	}
	if err := apiError(key, pg.Errors); err != nil {
		return ReviewPage{}, err
	}
	root := (*jpath)(nil)
	if isJSONNull(pg.Data) {
		return ReviewPage{}, d.fail(root.field("data"), ErrMissingField, "")
	}
	items, err := d.array(pg.Data, root.field("data"))
	if err != nil {
		return ReviewPage{}, err
	}
	included, err := d.array(pg.Included, root.field("included"))
	if err != nil {
		return ReviewPage{}, err
	}
	out := ReviewPage{Reviews: make([]Review, 0, len(items))}
	if out.Next, err = d.linksNext(pg.Links); err != nil {
		return ReviewPage{}, err
	}
	if out.Total, err = pagingTotal(d, pg.Meta); err != nil {
		return ReviewPage{}, err
	}
	inc, err := includedResponses(key, included)
	if err != nil {
		return ReviewPage{}, err
	}
	seen := make(map[string]int, len(items))
	for i, raw := range items {
		d := &resourceDecoder{key: key, where: "review", index: i + 1}
		r, err := d.decode(raw, ReviewType)
		if err != nil {
			return ReviewPage{}, err
		}
		if prev, dup := seen[d.id]; dup {
			return ReviewPage{}, d.fail("id", ErrDuplicateID, fmt.Sprintf("same id as review %d", prev))
		}
		seen[d.id] = i + 1
		rv, err := d.review(r)
		if err != nil {
			return ReviewPage{}, err
		}
		rv.SourceKey, rv.SourceLine = key, int64(i+1)
		if err := inc.attach(d, r, &rv); err != nil {
			return ReviewPage{}, err
		}
		out.Reviews = append(out.Reviews, rv)
	}
	return out, nil
}

// pagingTotal decodes meta.paging.total (0 when absent or null).
func pagingTotal(d jdec, meta json.RawMessage) (int, error) {
	mp := (*jpath)(nil).field("meta")
	var m struct {
		Paging json.RawMessage `json:"paging"`
	}
	if _, err := d.object(meta, mp, &m); err != nil {
		return 0, err
	}
	var pg struct {
		Total json.RawMessage `json:"total"`
	}
	pp := mp.field("paging")
	if _, err := d.object(m.Paging, pp, &pg); err != nil {
		return 0, err
	}
	n, err := d.integer(pg.Total, pp, "total")
	if err != nil || n == nil {
		return 0, err
	}
	return int(*n), nil
}

// includedSet is the customerReviewResponses of a page's included[], by id and by the
// review their own linkage (relationships.review) names.
type includedSet struct {
	byID, byReview map[string]*incResponse
}

type incResponse struct {
	resp   *Response
	review string // relationships.review.data.id, "" if absent
	usedBy string // review that claimed it
}

// includedResponses decodes the responses of included[] (other types are skipped after
// their envelope is checked). A response id given twice, or two responses naming the
// same review, is an error.
func includedResponses(key string, included []json.RawMessage) (*includedSet, error) {
	s := &includedSet{byID: map[string]*incResponse{}, byReview: map[string]*incResponse{}}
	for i, raw := range included {
		d := &resourceDecoder{key: key, where: "included", index: i + 1}
		r, err := d.decode(raw, "")
		if err != nil {
			return nil, err
		}
		if r.Type != ResponseType {
			continue
		}
		if _, dup := s.byID[d.id]; dup {
			return nil, d.fail("id", ErrDuplicateID, "response appears twice in included[]")
		}
		resp, err := d.response(r)
		if err != nil {
			return nil, err
		}
		reviewID, _, err := d.related(r, "review")
		if err != nil {
			return nil, err
		}
		ir := &incResponse{resp: resp, review: reviewID}
		s.byID[d.id] = ir
		if reviewID != "" {
			if other, dup := s.byReview[reviewID]; dup {
				return nil, d.fail("relationships.review.data.id", ErrLinkage,
					fmt.Sprintf("review %s already has response %s", reviewID, other.resp.ID))
			}
			s.byReview[reviewID] = ir
		}
	}
	return s, nil
}

// attach gives rv (decoded from r) its response: the one its relationships.response
// names or, when that linkage is absent or null, the one that names rv. A linked response
// missing from included[], links that disagree, or a response two reviews claim are
// errors.
func (s *includedSet) attach(d *resourceDecoder, r *jsonResource, rv *Review) error {
	respID, linked, err := d.related(r, "response")
	if err != nil {
		return err
	}
	var ir *incResponse
	if linked {
		ir = s.byID[respID]
		if ir == nil {
			return d.fail("relationships.response.data.id", ErrLinkage,
				fmt.Sprintf("response %s is not in included[]", respID))
		}
		if ir.review != "" && ir.review != rv.ID {
			return d.fail("relationships.response.data.id", ErrLinkage,
				fmt.Sprintf("response %s links back to review %s", respID, ir.review))
		}
	} else {
		ir = s.byReview[rv.ID]
	}
	if ir == nil {
		return nil
	}
	if ir.usedBy != "" {
		return d.fail("relationships.response", ErrLinkage,
			fmt.Sprintf("response %s already belongs to review %s", ir.resp.ID, ir.usedBy))
	}
	ir.usedBy = rv.ID
	resp := *ir.resp
	rv.Response = &resp
	return nil
}
