// Package bucketurl parses and checks storage.bucket URLs (file://, mem://, s3://, gs://,
// azblob://) without loading any storage driver, so the config package can validate a
// URL cheaply and the warehouse package can derive DuckDB paths from it.
//
// Normalisation, in one place for every backend:
//   - a path after the bucket name (s3://bucket/etl) becomes the key prefix "etl/"
//     (gocloud would silently ignore it); the prefix= parameter does the same, and a
//     prefix always ends in "/";
//   - each scheme accepts only the query parameters its gocloud driver knows, so a typo
//     fails at check-config instead of at 3 a.m.;
//   - credentials never come from the URL: user:password@ is refused (the drivers read
//     the standard provider chains: AWS env/profile/IMDS, Google ADC, Azure env/CLI/MSI).
package bucketurl

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// URL is a parsed bucket URL.
type URL struct {
	// Scheme is file, mem, s3, gs or azblob.
	Scheme string
	// Bucket is the bucket (s3, gs) or container (azblob) name; for file:// it is the
	// URL host ("" or "." for a relative path), for mem:// "".
	Bucket string
	// Path is the file:// directory as written (host "." means relative to the
	// working directory); empty for other schemes.
	Path string
	// Prefix is the key prefix inside the bucket: "" or a string ending in "/".
	Prefix string
	// Query holds the driver parameters, without prefix.
	Query url.Values
}

// driverParams are the query parameters each gocloud v0.47 driver accepts (besides
// prefix, which blob.OpenBucket handles for every scheme). See the README's storage
// section for what they mean.
var driverParams = map[string][]string{
	"file": {"metadata", "no_tmp_dir", "create_dir", "dir_file_mode", "base_url", "secret_key_path"},
	"mem":  {"nomd5"},
	"s3": {"region", "endpoint", "use_path_style", "s3ForcePathStyle", "disable_https", "profile",
		"role", "anonymous", "hostname_immutable", "dualstack", "fips", "accelerate", "ssetype",
		"kmskeyid", "rate_limiter_capacity", "request_checksum_calculation",
		"response_checksum_validation", "awssdk"},
	"gs":     {"anonymous", "access_id", "private_key_path", "universe_domain"},
	"azblob": {"storage_account", "domain", "protocol", "localemu", "cdn"},
}

// misnamed maps schemes people write for other tools to the one gocloud uses.
var misnamed = map[string]string{"az": "azblob", "azure": "azblob", "abfss": "azblob",
	"gcs": "gs", "s3a": "s3", "s3n": "s3", "memory": "mem"}

// Parse checks raw and returns its parts. Errors do not name the config key; callers
// add "storage.bucket".
func Parse(raw string) (*URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("empty bucket URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	known, ok := driverParams[scheme]
	if !ok {
		if want, ok := misnamed[scheme]; ok {
			return nil, fmt.Errorf("%q: scheme %s:// is not supported; use %s://", raw, u.Scheme, want)
		}
		return nil, fmt.Errorf("%q: scheme must be file://, mem://, s3://, gs:// or azblob://", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q: credentials do not belong in the bucket URL; use the provider's standard chain (environment, profile, workload identity)", redact(u))
	}
	if u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q: malformed bucket URL (write %s://name)", raw, scheme)
	}
	q := u.Query()
	out := &URL{Scheme: scheme, Bucket: u.Host, Query: url.Values{}}
	var keys []string
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := q[k]
		if len(v) != 1 {
			return nil, fmt.Errorf("%q: parameter %s given %d times", raw, k, len(v))
		}
		if k == "prefix" {
			continue
		}
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%q: unknown parameter %q for %s:// (known: prefix, %s)", raw, k, scheme, strings.Join(known, ", "))
		}
		out.Query.Set(k, v[0])
	}

	switch scheme {
	case "file":
		if u.Host != "" && u.Host != "." {
			return nil, fmt.Errorf("%q: a file:// URL has no host; write file:///abs/dir or file://./rel/dir", raw)
		}
		out.Path = u.Path
		if out.Path == "" || out.Path == "/" && u.Host == "." {
			return nil, fmt.Errorf("%q: missing directory", raw)
		}
	case "mem":
		if u.Host != "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%q: write mem:// (a memory bucket has no name)", raw)
		}
	default:
		if u.Host == "" {
			return nil, fmt.Errorf("%q: missing bucket name (write %s://name)", raw, scheme)
		}
		if strings.Contains(u.Host, ":") {
			return nil, fmt.Errorf("%q: the host part is the bucket name, not a server; put a custom endpoint in ?endpoint= (s3) or ?domain= (azblob)", raw)
		}
	}

	prefix := q.Get("prefix")
	if scheme != "file" {
		if p := strings.Trim(u.Path, "/"); p != "" {
			if prefix != "" {
				return nil, fmt.Errorf("%q: give the key prefix either as a path or as prefix=, not both", raw)
			}
			prefix = p
		}
	}
	if prefix != "" {
		prefix = strings.TrimLeft(prefix, "/")
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		for _, seg := range strings.Split(strings.TrimSuffix(prefix, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				return nil, fmt.Errorf("%q: prefix %q has an empty, . or .. segment", raw, prefix)
			}
		}
		if strings.ContainsAny(prefix, "*?[]{}'\\") {
			return nil, fmt.Errorf("%q: prefix %q contains a glob or quote character", raw, prefix)
		}
		out.Prefix = prefix
	}
	if err := out.checkValues(); err != nil {
		return nil, fmt.Errorf("%q: %w", raw, err)
	}
	return out, nil
}

// checkValues validates the values of the parameters this project relies on.
func (u *URL) checkValues() error {
	for _, k := range []string{"use_path_style", "s3ForcePathStyle", "disable_https", "anonymous", "localemu", "cdn", "fips", "dualstack", "accelerate"} {
		if v := u.Query.Get(k); v != "" && !isBool(v) {
			return fmt.Errorf("parameter %s=%q must be true or false", k, v)
		}
	}
	if e := u.Query.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") {
			return fmt.Errorf("parameter endpoint=%q must be an http:// or https:// URL", e)
		}
	}
	if p := u.Query.Get("protocol"); p != "" && p != "http" && p != "https" {
		return fmt.Errorf("parameter protocol=%q must be http or https", p)
	}
	return nil
}

func isBool(v string) bool {
	switch strings.ToLower(v) {
	case "1", "0", "t", "f", "true", "false":
		return true
	}
	return false
}

// Remote reports whether the bucket is a cloud object store (s3, gs, azblob).
func (u *URL) Remote() bool { return u.Scheme == "s3" || u.Scheme == "gs" || u.Scheme == "azblob" }

// DriverURL is the URL handed to gocloud's blob.OpenBucket: the driver parameters plus
// the normalised prefix (the path, if any, moved into prefix=).
func (u *URL) DriverURL() string {
	q := url.Values{}
	for k, v := range u.Query {
		q[k] = v
	}
	if u.Prefix != "" {
		q.Set("prefix", u.Prefix)
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Bucket, RawQuery: q.Encode()}
	if u.Scheme == "file" {
		out.Path = u.Path
	}
	return out.String()
}

// Bool returns the boolean parameter k (false when absent or not a boolean).
func (u *URL) Bool(k string) bool {
	switch strings.ToLower(u.Query.Get(k)) {
	case "1", "t", "true":
		return true
	}
	return false
}

func redact(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}
