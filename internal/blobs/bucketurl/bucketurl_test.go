package bucketurl

import (
	"strings"
	"testing"
)

func TestParseGood(t *testing.T) {
	for _, tc := range []struct {
		raw, scheme, bucket, prefix, driver string
		remote                              bool
	}{
		{"file://./data?metadata=skip", "file", ".", "", "file://./data?metadata=skip", false},
		{"file:///var/lib/etl?metadata=skip&prefix=team", "file", "", "team/", "file:///var/lib/etl?metadata=skip&prefix=team%2F", false},
		{"mem://", "mem", "", "", "mem:", false},
		{"s3://my-bucket", "s3", "my-bucket", "", "s3://my-bucket", true},
		{"s3://my-bucket/etl/asc?region=eu-west-1", "s3", "my-bucket", "etl/asc/", "s3://my-bucket?prefix=etl%2Fasc%2F&region=eu-west-1", true},
		{"s3://b?prefix=etl&endpoint=http://127.0.0.1:9000&use_path_style=true&disable_https=true&region=us-east-1",
			"s3", "b", "etl/", "s3://b?disable_https=true&endpoint=http%3A%2F%2F127.0.0.1%3A9000&prefix=etl%2F&region=us-east-1&use_path_style=true", true},
		{"gs://analytics/asc/", "gs", "analytics", "asc/", "gs://analytics?prefix=asc%2F", true},
		{"azblob://container?storage_account=acct", "azblob", "container", "", "azblob://container?storage_account=acct", true},
	} {
		u, err := Parse(tc.raw)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.raw, err)
			continue
		}
		if u.Scheme != tc.scheme || u.Bucket != tc.bucket || u.Prefix != tc.prefix || u.Remote() != tc.remote {
			t.Errorf("Parse(%q) = %+v", tc.raw, u)
		}
		if got := u.DriverURL(); got != tc.driver {
			t.Errorf("Parse(%q).DriverURL() = %q, want %q", tc.raw, got, tc.driver)
		}
	}
}

func TestParseBad(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", "empty bucket URL"},
		{"./data", "scheme must be file://, mem://, s3://, gs:// or azblob://"},
		{"az://container", "use azblob://"},
		{"gcs://bucket", "use gs://"},
		{"s3a://bucket", "use s3://"},
		{"s3://", "missing bucket name"},
		{"s3://AKIA:secret@bucket", "credentials do not belong in the bucket URL"},
		{"s3://bucket?regoin=eu-west-1", `unknown parameter "regoin" for s3://`},
		{"gs://bucket?region=eu", `unknown parameter "region" for gs://`},
		{"s3://bucket?use_path_style=yes", "use_path_style=\"yes\" must be true or false"},
		{"s3://bucket?endpoint=127.0.0.1:9000", "must be an http:// or https:// URL"},
		{"s3://localhost:9000/bucket", "the host part is the bucket name"},
		{"s3://bucket/a?prefix=b", "either as a path or as prefix="},
		{"s3://bucket/a/../b", "empty, . or .. segment"},
		{"s3://bucket?prefix=a&prefix=b", "given 2 times"},
		{"azblob://c?protocol=ftp", "must be http or https"},
		{"file://host/dir", "a file:// URL has no host"},
		{"mem://name", "a memory bucket has no name"},
		{"s3://bucket/data*", "glob or quote character"},
	} {
		_, err := Parse(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.raw, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Parse(%q) leaks the credential: %v", tc.raw, err)
		}
	}
}
