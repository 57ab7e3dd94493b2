package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/simulator"
)

// loadConfig reads --config, else ./config.yaml, else the embedded default.
func (e *env) loadConfig() (*config.Config, error) {
	if e.configPath != "" {
		return config.Load(e.configPath)
	}
	if _, err := os.Stat("config.yaml"); err == nil {
		return config.Load("config.yaml")
	}
	return config.Parse("(embedded config.yaml)", etl.DefaultConfig)
}

// logger builds the slog logger: JSON when stderr is not a terminal, text when it is
// (log.format or ETL_LOG_FORMAT overrides). On a terminal, records are written through
// the progress line (progress.go) so that they do not garble it.
func (e *env) logger(c *config.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	format := c.Log.Format
	if f := os.Getenv("ETL_LOG_FORMAT"); f == "text" || f == "json" {
		format = f
	}
	var out io.Writer = e.stderr
	if isTerminal(e.stderr) {
		if e.status == nil {
			e.status = newStatusLine(e.stderr)
		}
		out = e.status
		if format == "auto" {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(out, opts))
	}
	return slog.New(slog.NewJSONHandler(out, opts))
}

// openBucket opens storage.bucket (see internal/blobs: drivers, URL checks, prefix,
// and for file:// the directory created with temporaries beside their targets).
func openBucket(ctx context.Context, raw string) (*blob.Bucket, error) {
	return blobs.Open(ctx, raw)
}

// localDir is the directory behind a file:// bucket URL ("" and an error otherwise).
func localDir(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "file" {
		return "", fmt.Errorf("storage.bucket %q is not a file:// URL", raw)
	}
	p := u.Path
	if u.Host == "." {
		p = strings.TrimPrefix(p, "/")
	}
	return filepath.Abs(filepath.FromSlash(p))
}

// apiClient returns a client for the configured API. For "simulator" it starts the
// embedded simulator on a loopback port with a fresh key; stop must be called.
func apiClient(c *config.Config, log *slog.Logger) (client *extract.Client, stop func(), err error) {
	cfg := extract.Config{
		BaseURL:        c.API.BaseURL,
		IssuerID:       c.API.IssuerID,
		KeyID:          c.API.KeyID,
		MaxConcurrency: c.API.MaxConcurrency,
		MaxAttempts:    c.API.MaxAttempts,
		BudgetReserve:  c.API.BudgetReserve,
		MaxBudgetWait:  time.Duration(c.API.MaxBudgetWait),
		Logger:         log,
		Now:            clock,
		HTTPClient:     &http.Client{Timeout: time.Duration(c.API.Timeout)},
		UserAgent:      "ascetl/0.1",
	}
	stop = func() {}
	if c.UsesSimulator() {
		sim, err := startSimulator(c, "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		cfg.BaseURL, cfg.Key, cfg.KeyID, cfg.IssuerID, stop = simBaseURL, sim.Key, sim.KeyID, sim.Issuer, sim.Stop
		cfg.HTTPClient.Transport = dialOnly(strings.TrimPrefix(sim.Base, "http://"))
		cfg.BudgetReserve = 0
	} else {
		key, err := loadKey(c)
		if err != nil {
			return nil, nil, err
		}
		cfg.Key = key
	}
	client, err = extract.NewClient(cfg)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return client, stop, nil
}

// loadKey reads the .p8 key from api.key_path or the api.key_env variable.
func loadKey(c *config.Config) (*ecdsa.PrivateKey, error) {
	var pemBytes []byte
	src := "environment variable " + c.API.KeyEnv
	if c.API.KeyPath != "" {
		b, err := os.ReadFile(c.API.KeyPath)
		if err != nil {
			return nil, fmt.Errorf("api.key_path: cannot read the .p8 key: %w", err)
		}
		pemBytes, src = b, "api.key_path "+c.API.KeyPath
	} else {
		pemBytes = []byte(os.Getenv(c.API.KeyEnv))
	}
	key, err := extract.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return key, nil
}

const simKeyID = "SIMULATOR1"

// simBaseURL is the API address of the embedded simulator, whatever port it listens on
// (dialOnly): the links in its JSON documents are built from the host they are asked for,
// so with a fixed host a document is the same bytes in every process, as Apple's are, and a
// second run recognises it (no new archive version, nothing rewritten).
const simBaseURL = "http://asc-simulator.localhost"

// dialOnly is a transport whose every connection goes to addr.
func dialOnly(addr string) *http.Transport {
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

// clock is the time of the embedded simulator, the API client and the runner: time.Now.
// Only tests change it (kill_test.go stands it still, so that runs compare to the byte);
// there is no flag or variable for it.
var clock = time.Now

// simAnalyticsSince is how long ago the embedded simulator's ONGOING analytics requests were made.
const simAnalyticsSince = 10 * 24 * time.Hour

// simInstance is a running simulator and the credentials it accepts.
type simInstance struct {
	Base, KeyID, Issuer string
	Key                 *ecdsa.PrivateKey
	PEM                 []byte // the key as an Apple-style .p8 file
	Stop                func()
}

// startSimulator serves the simulator on addr with a fresh key registered.
func startSimulator(c *config.Config, addr string) (*simInstance, error) {
	sim := simulator.New(simulator.Options{
		Now:       clock,
		Seed:      c.Simulator.Seed,
		Vendor:    c.VendorNumber,
		RateLimit: c.Simulator.RateLimit,
		Latency:   time.Duration(c.Simulator.Latency),
		// As on a long-standing account: analytics requests exist, so the first run loads data.
		AnalyticsSince: simAnalyticsSince,
		Storm:          c.SimulatorStorm(), // simulator.faults (etl simulate --faults)
	})
	key, pemBytes, err := simulator.GenerateKey()
	if err != nil {
		return nil, err
	}
	sim.AddKey(simKeyID, &key.PublicKey)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return &simInstance{Base: "http://" + ln.Addr().String(), KeyID: simKeyID, Issuer: sim.Options().IssuerID,
		Key: key, PEM: pemBytes, Stop: stop}, nil
}

// setup is the common start of commands that touch data: config, logger and store.
func (e *env) setup(ctx context.Context) (*config.Config, *slog.Logger, *load.Store, int) {
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return nil, nil, nil, 2
	}
	log := e.logger(c)
	b, err := openBucket(ctx, c.Storage.Bucket)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return nil, nil, nil, 2
	}
	return c, log, load.New(b), 0
}
