// Package blobs opens the bucket named by storage.bucket. It registers the gocloud
// drivers the project supports — file://, mem://, s3://, gs:// and azblob:// — and is
// the only place that knows about them; everything else works on a *blob.Bucket.
//
// Credentials always come from each provider's standard chain, never from the URL or
// the config file:
//   - s3: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE and
//     ~/.aws/{config,credentials}, web identity (EKS IRSA), ECS/EC2 instance roles;
//   - gs: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth
//     application-default login, GKE workload identity, the GCE metadata server);
//     STORAGE_EMULATOR_HOST points the client at an emulator;
//   - azblob: AZURE_STORAGE_ACCOUNT plus AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or
//     AZURE_STORAGE_CONNECTION_STRING, otherwise DefaultAzureCredential (environment
//     service principal, workload identity, managed identity, az CLI).
package blobs

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://

	"github.com/ascetl/etl/internal/blobs/bucketurl"
)

// Open validates raw (storage.bucket), normalises it and opens the bucket. A key
// prefix — given as prefix= or as a path after the bucket name — yields a bucket whose
// keys all live under that prefix.
//
// For file:// the directory is created, and temporary files are written beside their
// target (no_tmp_dir=1) so the final rename never crosses file systems and stays atomic.
//
// Open does not contact the service (gocloud opens lazily): a wrong bucket name or
// missing credentials show up on the first read or write, with the key named.
func Open(ctx context.Context, raw string) (*blob.Bucket, error) {
	u, err := bucketurl.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("storage.bucket: %w", err)
	}
	if u.Scheme == "file" {
		dir, err := LocalDir(u)
		if err != nil {
			return nil, fmt.Errorf("storage.bucket %q: %w", raw, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("storage.bucket %q: %w", raw, err)
		}
		if u.Query.Get("no_tmp_dir") == "" {
			u.Query.Set("no_tmp_dir", "1")
		}
	}
	var b *blob.Bucket
	if u.Scheme == "s3" {
		b, err = openS3(ctx, u)
	} else {
		b, err = blob.OpenBucket(ctx, u.DriverURL())
	}
	if err != nil {
		return nil, fmt.Errorf("storage.bucket %q: %w", raw, err)
	}
	return b, nil
}

// LocalDir is the absolute directory behind a file:// bucket (keys with a prefix live
// below it, in <dir>/<prefix>).
func LocalDir(u *bucketurl.URL) (string, error) {
	if u.Scheme != "file" {
		return "", fmt.Errorf("%s:// is not a local directory", u.Scheme)
	}
	p := u.Path
	if u.Bucket == "." {
		p = strings.TrimPrefix(p, "/")
	}
	return filepath.Abs(filepath.FromSlash(p))
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
