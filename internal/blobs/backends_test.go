package blobs_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"

	"github.com/ascetl/etl/internal/blobs"
)

// backend is one storage service the conformance suite runs against. open returns an
// empty bucket (a fresh one, or a fresh key prefix in a shared server bucket) through
// blobs.Open, i.e. through the same URL path users configure.
type backend struct {
	name string
	// start brings the server up for the whole backend run; it returns the opener and
	// a reason to skip ("" when running). Only Azurite may be unavailable.
	start func(t *testing.T) (open func(t *testing.T, prefix string) *blob.Bucket, skip string)
	// parts, if set, reports how many multipart/resumable chunks the server received
	// and how many uploads it still holds unfinished (S3 only).
	parts func() int64
	// pending lists uncompleted multipart uploads (S3 only; nil elsewhere).
	pending func(t *testing.T, b *blob.Bucket) []string
}

func openURL(t *testing.T, raw string) *blob.Bucket {
	t.Helper()
	b, err := blobs.Open(context.Background(), raw)
	if err != nil {
		t.Fatalf("blobs.Open(%s): %v", raw, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

var s3Parts atomic.Int64

// localDirs maps a fileblob bucket to its directory, which the store needs for an atomic
// create-if-absent (load.Store.UseLocalDir; cmd/etl does the same for file:// buckets).
var localDirs sync.Map

func backends() []backend {
	return []backend{
		{name: "memblob", start: func(t *testing.T) (func(*testing.T, string) *blob.Bucket, string) {
			return func(t *testing.T, prefix string) *blob.Bucket {
				return openURL(t, "mem://?prefix="+url.QueryEscape(prefix))
			}, ""
		}},
		{name: "fileblob", start: func(t *testing.T) (func(*testing.T, string) *blob.Bucket, string) {
			return func(t *testing.T, prefix string) *blob.Bucket {
				dir := t.TempDir()
				b := openURL(t, "file://"+filepath.ToSlash(dir)+"?metadata=skip&prefix="+url.QueryEscape(prefix))
				localDirs.Store(b, filepath.Join(dir, filepath.FromSlash(prefix)))
				t.Cleanup(func() { checkNoLeftovers(t, dir) })
				return b
			}, ""
		}},
		{name: "s3", start: startS3, parts: func() int64 { return s3Parts.Load() }, pending: s3Pending},
		{name: "gcs", start: startGCS},
		{name: "azure", start: startAzurite},
	}
}

// checkNoLeftovers fails if fileblob left temporary or side files in dir.
func checkNoLeftovers(t *testing.T, dir string) {
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && (strings.HasSuffix(p, ".tmp") || strings.HasSuffix(p, ".attrs")) {
			t.Errorf("fileblob left %s behind", p)
		}
		return nil
	})
}

// startS3 runs gofakes3 (in-memory backend) in-process behind httptest and opens it with
// s3blob the way a user points at MinIO or another S3-compatible store: endpoint,
// path-style addressing, plain http, region; credentials from the environment.
func startS3(t *testing.T) (func(*testing.T, string) *blob.Bucket, string) {
	be := s3mem.New()
	fake := gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(countParts(fake.Server()))
	t.Cleanup(srv.Close)
	if err := be.CreateBucket("etl-test"); err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t)
	return func(t *testing.T, prefix string) *blob.Bucket {
		return openURL(t, "s3://etl-test/"+prefix+"?region=us-east-1&use_path_style=true&disable_https=true&endpoint="+url.QueryEscape(srv.URL))
	}, ""
}

// setAWSEnv gives the AWS SDK static test credentials and keeps it away from the
// machine's own profiles and the instance metadata service.
func setAWSEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// countParts counts UploadPart requests (PUT with ?partNumber=).
func countParts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != "" {
			s3Parts.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// s3Pending lists the multipart uploads the server still holds open.
func s3Pending(t *testing.T, b *blob.Bucket) []string {
	var c *s3.Client
	if !b.As(&c) {
		t.Fatal("s3 bucket does not expose *s3.Client")
	}
	out, err := c.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String("etl-test")})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// startGCS runs fake-gcs-server's fakestorage in-process over plain HTTP and opens it
// through gcsblob's URL opener with STORAGE_EMULATOR_HOST, which is how the Google
// client libraries find an emulator (gcsblob then sends no credentials).
func startGCS(t *testing.T) (func(*testing.T, string) *blob.Bucket, string) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, NoListener: false,
		// The Go client reads objects with XML-API GETs to http://<emulator>/<bucket>/<key>;
		// fake-gcs-server serves that path only for its "public host".
		PublicHost: "127.0.0.1",
		Writer:     io.Discard,
	})
	if err != nil {
		return nil, fmt.Sprintf("fake-gcs-server did not start: %v", err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "etl-test"})
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", u.Host)
	return func(t *testing.T, prefix string) *blob.Bucket {
		return openURL(t, "gs://etl-test/"+prefix)
	}, ""
}

// startAzurite uses the Azurite blob service that scripts/test starts
// (scripts/services/azurite.sh exports AZURITE_BLOB_ENDPOINT). Without it the backend
// is skipped: that is the only skip this suite allows, and scripts/test fails on skips.
func startAzurite(t *testing.T) (func(*testing.T, string) *blob.Bucket, string) {
	ep := os.Getenv("AZURITE_BLOB_ENDPOINT")
	if ep == "" {
		return nil, "AZURITE_BLOB_ENDPOINT is not set (scripts/test starts Azurite; run the suite through it)"
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		t.Fatalf("AZURITE_BLOB_ENDPOINT=%q is not a URL", ep)
	}
	account := strings.Trim(u.Path, "/")
	if account == "" {
		account = "devstoreaccount1"
	}
	// gocloud's azureblob reads the shared key from the environment once per process.
	if os.Getenv("AZURE_STORAGE_KEY") == "" {
		t.Setenv("AZURE_STORAGE_ACCOUNT", account)
		t.Setenv("AZURE_STORAGE_KEY", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
	}
	base := fmt.Sprintf("azblob://etl-test/%%s?protocol=%s&domain=%s&localemu=true&storage_account=%s", u.Scheme, u.Host, account)
	// Create the container once.
	b := openURL(t, fmt.Sprintf(base, ""))
	var c *container.Client
	if !b.As(&c) {
		t.Fatal("azure bucket does not expose *container.Client")
	}
	if _, err := c.Create(context.Background(), nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("create container: %v", err)
	}
	return func(t *testing.T, prefix string) *blob.Bucket {
		return openURL(t, fmt.Sprintf(base, prefix))
	}, ""
}

func init() { log.SetOutput(io.Discard) } // gofakes3/fakestorage log through the std logger
