package blobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ascetl/etl/internal/blobs"
)

func TestOpenErrorsNameTheKey(t *testing.T) {
	for _, raw := range []string{"", "data", "az://c", "s3://b?regoin=x", "s3://b?ssetype=rot13"} {
		_, err := blobs.Open(context.Background(), raw)
		if err == nil || !strings.HasPrefix(err.Error(), "storage.bucket") {
			t.Errorf("Open(%q) = %v, want an error naming storage.bucket", raw, err)
		}
	}
}

// TestOpenFileCreatesDir checks the file:// behaviour: the directory is created and
// temporaries are written beside their target (no_tmp_dir), under the prefix if any.
func TestOpenFileCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	b, err := blobs.Open(context.Background(), "file://"+filepath.ToSlash(dir)+"?metadata=skip&prefix=team")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(context.Background(), "k/v.txt", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "team", "k", "v.txt")); err != nil || string(got) != "x" {
		t.Fatalf("file under prefix: %q %v", got, err)
	}
}
