package simulator

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Pre-signed segment downloads, shaped like S3's: the URL carries its own signature and
// date, lives 300 seconds, refuses a second auth mechanism (an Authorization header), and
// errors are S3 XML documents. Served before API authentication and outside the budget.

const (
	segmentPrefix = "/analytics-segments/"
	amzDateLayout = "20060102T150405Z"
)

func md5Hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

func (s *Server) presignSig(segID, amzDate, expires string) string {
	k := sha256.Sum256(fmt.Appendf(nil, "asc-presign|%d", s.opt.Seed))
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(segID + "\n" + amzDate + "\n" + expires))
	return hex.EncodeToString(m.Sum(nil))
}

// presignedURL mints a segment URL valid for AnalyticsURLLifetime from now.
//
// Decision (Segment URLs): http://<host>/analytics-segments/<segmentId>.csv.gz with
// X-Amz-Algorithm, -Credential, -Date (the segments call), -Expires=300, -SignedHeaders,
// -Signature (HMAC of seed, id, date, expires); every segments or segment call mints a fresh
// URL. Checks in order: Authorization header → 400 InvalidArgument "Only one auth mechanism
// allowed…" (the header echoed as ArgumentValue, as S3 does); missing query parameters → 400
// AuthorizationQueryParametersError; bad signature → 403 SignatureDoesNotMatch; now > date +
// 300 s → 403 AccessDenied "Request has expired"; unknown segment or vanished instance → 404
// NoSuchKey. Errors are S3 XML (application/xml). 200 is application/octet-stream; sizeInBytes
// = its length, checksum = hex MD5 of the gzip bytes. Not charged to the rate budget;
// SegmentStats counts them.
func (s *Server) presignedURL(base, segID string, now time.Time) string {
	d := now.UTC().Format(amzDateLayout)
	exp := strconv.Itoa(int(AnalyticsURLLifetime / time.Second))
	cred := "ASIASIMULATOR00000000/" + now.UTC().Format("20060102") + "/us-west-2/s3/aws4_request"
	return base + segmentPrefix + segID + ".csv.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
		url.QueryEscape(cred) + "&X-Amz-Date=" + d + "&X-Amz-Expires=" + exp +
		"&X-Amz-SignedHeaders=host&X-Amz-Signature=" + s.presignSig(segID, d, exp)
}

type s3Field struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// writeS3Error writes an S3-style XML error document.
func writeS3Error(w http.ResponseWriter, status int, code, msg string, extra ...[2]string) {
	type s3Error struct {
		XMLName   xml.Name  `xml:"Error"`
		Code      string    `xml:"Code"`
		Message   string    `xml:"Message"`
		Extra     []s3Field `xml:",any"`
		RequestID string    `xml:"RequestId"`
		HostID    string    `xml:"HostId"`
	}
	e := s3Error{Code: code, Message: msg, RequestID: strings.ToUpper(strings.ReplaceAll(newID(), "-", "")[:16]),
		HostID: "simulator/analytics-segments"}
	for _, x := range extra {
		e.Extra = append(e.Extra, s3Field{XMLName: xml.Name{Local: x[0]}, Value: x[1]})
	}
	b, _ := xml.Marshal(e)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// servePresigned serves pre-signed segment downloads (no API authentication, no budget).
func (s *Server) servePresigned(w http.ResponseWriter, r *http.Request) {
	st := s.anaStore()
	count := func(f func(*SegmentStats)) {
		st.mu.Lock()
		f(&st.stats)
		st.mu.Unlock()
	}
	count(func(c *SegmentStats) { c.Downloads++ })
	segID, now, ok := s.checkPresigned(w, r, count)
	if !ok {
		return
	}
	st.mu.Lock()
	ref, ok := st.segs[segID]
	var body []byte
	if ok && ref.inst.visibleAt(now) {
		ref.inst.req.touch(now)
		body = s.bodiesOf(st, ref.inst)[ref.idx]
		st.stats.Served++
	}
	st.mu.Unlock()
	if body == nil {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", [2]string{"Key", strings.TrimPrefix(r.URL.Path, "/")})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("ETag", `"`+md5Hex(body)+`"`)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// checkPresigned checks a segment download in S3's order (method, a second auth mechanism,
// query parameters, signature, expiry) and answers S3's XML error for the first that
// fails. It returns the segment id and the clock when all pass.
func (s *Server) checkPresigned(w http.ResponseWriter, r *http.Request, count func(func(*SegmentStats))) (segID string, now time.Time, ok bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeS3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.",
			[2]string{"Method", r.Method}, [2]string{"ResourceType", "OBJECT"})
		return "", now, false
	}
	if h := r.Header.Get("Authorization"); h != "" {
		count(func(c *SegmentStats) { c.WithAuthorization++ })
		writeS3Error(w, http.StatusBadRequest, "InvalidArgument",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
			[2]string{"ArgumentName", "Authorization"}, [2]string{"ArgumentValue", h})
		return "", now, false
	}
	q := r.URL.Query()
	date, exp, sig := q.Get("X-Amz-Date"), q.Get("X-Amz-Expires"), q.Get("X-Amz-Signature")
	signed, err := time.Parse(amzDateLayout, date)
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || err != nil || exp == "" || sig == "" {
		writeS3Error(w, http.StatusBadRequest, "AuthorizationQueryParametersError",
			"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		return "", now, false
	}
	segID = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, segmentPrefix), ".csv.gz")
	if !hmac.Equal([]byte(sig), []byte(s.presignSig(segID, date, exp))) {
		count(func(c *SegmentStats) { c.BadSignature++ })
		writeS3Error(w, http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		return "", now, false
	}
	now = s.now().UTC()
	secs, _ := strconv.Atoi(exp)
	expires := signed.Add(time.Duration(secs) * time.Second)
	if now.After(expires) {
		count(func(c *SegmentStats) { c.Expired++ })
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired",
			[2]string{"X-Amz-Expires", exp}, [2]string{"Expires", expires.Format(time.RFC3339)},
			[2]string{"ServerTime", now.Truncate(time.Second).Format(time.RFC3339)})
		return "", now, false
	}
	return segID, now, true
}
