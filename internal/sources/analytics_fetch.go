package sources

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/transform"
)

// anaSegment is one analyticsReportSegments resource.
type anaSegment struct {
	ID       string
	Checksum string // hex MD5 of the gzip bytes
	Size     int64
	URL      string // pre-signed, valid 5 minutes
}

// errInstanceGone says the instance is no longer served (its 35 days passed between the
// listing and the fetch).
var errInstanceGone = errors.New("the instance is no longer served (expired)")

// unverifiedMark is in the payload name of a segment that failed Apple's sizeInBytes or
// checksum on every attempt: it is archived as received, for inspection, and Parse refuses it.
const unverifiedMark = ".unverified"

// Fetch downloads an instance's segments in Apple's order, each from its pre-signed URL
// (no Authorization header), checked against sizeInBytes and the MD5 checksum, and puts
// them as segment-01.csv.gz, segment-02.csv.gz, … (by position: an instance never changes).
// An expired URL, a failed check, a vanished download or one that failed temporarily after
// the client's retries (extract.Temporary) is retried with fresh URLs (the segments listed
// again), up to analytics.max_url_retries times per segment: the other segments are not
// downloaded again. An instance
// whose segments hold no data row is Empty; one Apple no longer lists is Gone.
func (s *Analytics) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	env = patientFetch(env) // a document that fails is asked for again, not the whole unit
	if p.Ref == "" {
		return engine.Fetched{}, fmt.Errorf("analytics unit %s: no instance id", p.Unit.ID())
	}
	segs, err := listSegments(ctx, env.API, p.Ref)
	if errors.Is(err, errInstanceGone) {
		return engine.Fetched{Outcome: engine.Gone, Detail: err.Error()}, nil
	}
	if err != nil {
		return engine.Fetched{}, err
	}
	type got struct {
		name string
		data []byte
	}
	var all []got
	rows := false
	for i, sg := range segs {
		data, bad, err := s.download(ctx, env, p.Ref, sg)
		if errors.Is(err, errInstanceGone) {
			return engine.Fetched{Outcome: engine.Gone, Detail: err.Error()}, nil
		}
		if err != nil {
			return engine.Fetched{}, err
		}
		name := fmt.Sprintf("segment-%02d.csv.gz", i+1)
		if bad != nil {
			name = fmt.Sprintf("segment-%02d%s.csv.gz", i+1, unverifiedMark)
			env.Log.Warn("analytics segment fails its check on every download; archived as received, not loaded",
				"instance", p.Ref, "segment", sg.ID, "err", bad.Error())
			rows = true // let Parse say what is wrong with it
		} else if !rows {
			rows = hasDataRow(data)
		}
		all = append(all, got{name, data})
	}
	if !rows {
		return engine.Fetched{Outcome: engine.Empty, Detail: fmt.Sprintf("instance %s: %d segments, no data row", p.Ref, len(segs))}, nil
	}
	for _, g := range all {
		if err := env.Put(g.name, bytes.NewReader(g.data)); err != nil {
			return engine.Fetched{}, err
		}
	}
	return engine.Fetched{Outcome: engine.Data}, nil
}

// listSegments lists an instance's segments; every listing mints fresh URLs. A 404 is
// errInstanceGone.
func listSegments(ctx context.Context, api engine.API, instance string) ([]anaSegment, error) {
	var out []anaSegment
	err := eachAnaResource(ctx, api, "/v1/analyticsReportInstances/"+url.PathEscape(instance)+"/segments", engine.Query("limit", "200"),
		func(r anaResource) error {
			var a struct {
				Checksum    string `json:"checksum"`
				SizeInBytes int64  `json:"sizeInBytes"`
				URL         string `json:"url"`
			}
			if err := json.Unmarshal(r.Attributes, &a); err != nil {
				return fmt.Errorf("field attributes: %w", err)
			}
			if a.URL == "" {
				return errors.New("field url is empty")
			}
			out = append(out, anaSegment{ID: r.ID, Checksum: a.Checksum, Size: a.SizeInBytes, URL: a.URL})
			return nil
		})
	if apiStatusIs(err, http.StatusNotFound) {
		return nil, fmt.Errorf("instance %s: %w", instance, errInstanceGone)
	}
	if err != nil {
		return nil, fmt.Errorf("segments of instance %s: %w", instance, err)
	}
	return out, nil
}

// download fetches one segment and checks it. bad is set when the bytes failed the check
// on every attempt (data holds the last ones); err when no bytes could be had.
func (s *Analytics) download(ctx context.Context, env *engine.FetchEnv, instance string, sg anaSegment) (data []byte, bad, err error) {
	for attempt := 0; ; attempt++ {
		body, derr := env.API.Download(ctx, sg.URL)
		var problem error
		switch {
		case derr == nil:
			if problem = verifySegment(sg, body); problem == nil {
				return body, nil, nil
			}
		case errors.Is(derr, extract.ErrURLExpired) || downloadStatus(derr) == http.StatusNotFound || extract.Temporary(derr):
			problem = derr // a fresh URL, the news that the instance is gone, or another try of this segment only
		default:
			return nil, nil, fmt.Errorf("segment %s of instance %s: %w", sg.ID, instance, derr)
		}
		if attempt >= s.Cfg.Analytics.MaxURLRetries {
			if derr == nil {
				return body, problem, nil
			}
			return nil, nil, fmt.Errorf("segment %s of instance %s: %w (after %d refreshes)", sg.ID, instance, problem, attempt)
		}
		env.Log.Info("analytics segment URL refreshed", "instance", instance, "segment", sg.ID, "reason", problem.Error())
		if sg, err = refreshSegment(ctx, env.API, instance, sg.ID); err != nil {
			return nil, nil, err
		}
	}
}

// refreshSegment lists the instance's segments again for a fresh URL of segment id.
func refreshSegment(ctx context.Context, api engine.API, instance, id string) (anaSegment, error) {
	fresh, err := listSegments(ctx, api, instance)
	if err != nil {
		return anaSegment{}, err
	}
	for _, x := range fresh {
		if x.ID == id {
			return x, nil
		}
	}
	return anaSegment{}, fmt.Errorf("segment %s of instance %s: no longer listed", id, instance)
}

// downloadStatus is the HTTP status of a failed pre-signed download (0 when not one).
func downloadStatus(err error) int {
	var de *extract.DownloadError
	if errors.As(err, &de) {
		return de.Status
	}
	return 0
}

// verifySegment checks sizeInBytes and the MD5 checksum (hex) of a downloaded segment.
func verifySegment(sg anaSegment, data []byte) error {
	if sg.Size > 0 && int64(len(data)) != sg.Size {
		return fmt.Errorf("size %d bytes, sizeInBytes says %d", len(data), sg.Size)
	}
	if sg.Checksum != "" {
		sum := md5.Sum(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, sg.Checksum) {
			return fmt.Errorf("md5 %s, checksum says %s", got, sg.Checksum)
		}
	}
	return nil
}

// hasDataRow reports whether a gzip segment has a non-blank line after its header. A
// segment that does not decompress counts as having one: Parse names what is wrong.
func hasDataRow(gz []byte) bool {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return true
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	lines := 0
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			if lines++; lines == 2 {
				return true
			}
		}
	}
	return sc.Err() != nil
}

// Parse turns an archived instance into rows of its report's table: the segments in order
// through the report's parser, then one output per month of the rows' date, partition
// (app_id, month), merged by instance_id. Input.Keys names the instance, so loading it
// again replaces its rows. An instance is held in memory while it is parsed (one day of
// one report; a snapshot is larger).
func (s *Analytics) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	k := analyticsKinds().byUnitType(in.Unit.Type)
	inst := transform.AnalyticsInstance{ID: in.Version.Ref, Granularity: in.Unit.Frequency,
		ProcessingDate: in.Unit.Period, AccessType: in.Unit.SubType}
	if inst.ID == "" {
		return nil, fmt.Errorf("%s: version %s has no instance id (ref)", in.Version.Payloads[0].Key, in.Version.ID)
	}
	p, err := k.NewParser(inst, in.Alloc, in.Version.FetchedAt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Version.Payloads[0].Key, err)
	}
	defer p.Release()
	if err := addSegments(ctx, in, p); err != nil {
		return nil, err
	}
	table := p.Table() // a generic report's table, typed from its header
	if table == nil {
		table = k.Table
	}
	d := p.Drift()
	for _, c := range d.Unknown {
		in.Note(engine.Note{Kind: "drift", Table: k.Table.Name, Subject: "unknown " + c, Detail: fmt.Sprintf("unknown column %q kept as text", c)})
	}
	for _, c := range d.Missing {
		in.Note(engine.Note{Kind: "drift", Table: k.Table.Name, Subject: "missing " + c, Detail: fmt.Sprintf("expected column %q missing (null)", c)})
	}
	var recs []arrow.RecordBatch
	out := &engine.Parsed{Release: func() { releaseAll(recs) }}
	for _, m := range p.Months() {
		rec := p.Record(m)
		if rec == nil {
			continue
		}
		recs = append(recs, rec)
		part, err := table.PartitionPath(in.Unit.Vendor, m)
		if err != nil {
			out.Release()
			return nil, fmt.Errorf("%s: %w", in.Version.Payloads[0].Key, err)
		}
		out.Outputs = append(out.Outputs, engine.Output{Table: table, Partition: part, Primary: true,
			Input: load.Input{Records: []arrow.RecordBatch{rec}, Keys: []string{inst.ID}}})
	}
	return out, nil
}

// addSegments feeds the version's segments to the parser in order. A segment archived
// unverified is parsed too (a garbled one fails at its line), then refused.
func addSegments(ctx context.Context, in *engine.ParseInput, p segmentParser) error {
	var unverified []string
	for _, pl := range in.Version.Payloads {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := in.Open(pl)
		if err != nil {
			return err
		}
		err = p.AddSegment(pl.Key, rc)
		rc.Close()
		if err != nil {
			return err
		}
		if strings.Contains(pl.Name, unverifiedMark+".") {
			unverified = append(unverified, pl.Key)
		}
	}
	if len(unverified) > 0 {
		return fmt.Errorf("%s: the segment failed Apple's sizeInBytes or checksum on every download (archived as received, not loaded)",
			strings.Join(unverified, ", "))
	}
	return nil
}
