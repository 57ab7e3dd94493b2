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

// clientConfig is the extract.Config every account's client starts from (the api:
// section); the caller sets the key.
func clientConfig(c *config.Config, log *slog.Logger) extract.Config {
	return extract.Config{
		BaseURL:        c.API.BaseURL,
		MaxConcurrency: c.API.MaxConcurrency,
		MaxAttempts:    c.API.MaxAttempts,
		BudgetReserve:  c.API.BudgetReserve,
		MaxBudgetWait:  time.Duration(c.API.MaxBudgetWait),
		Logger:         log,
		Now:            clock,
		HTTPClient:     &http.Client{Timeout: time.Duration(c.API.Timeout)},
		UserAgent:      "ascetl/0.1",
	}
}

// apiClients returns one client per account (config accounts:, else the one implicit
// account config.DefaultAccount): one request budget per key, and with share > 1 each
// client is one of share processes on its key (extract.Config.BudgetShare). For
// "simulator" it starts the embedded simulator, serving every account with a fresh key
// each; stop must be called. An account whose key cannot be read gets its error in errs,
// so that only its pass fails; in the single-account form that error is err.
func apiClients(c *config.Config, log *slog.Logger, share int) (clients map[string]*extract.Client, errs map[string]error, stop func(), err error) {
	stop = func() {}
	var sim *simInstance
	if c.UsesSimulator() {
		if sim, err = startSimulator(c, "127.0.0.1:0"); err != nil {
			return nil, nil, nil, err
		}
		stop = sim.Stop
	}
	clients, errs = map[string]*extract.Client{}, map[string]error{}
	for _, a := range c.AccountList() {
		l := log
		if c.MultiAccount() {
			l = log.With("account", a.Name)
		}
		cfg := clientConfig(c, l)
		cfg.BudgetShare = share
		cfg.IssuerID, cfg.KeyID = a.IssuerID, a.KeyID
		var aerr error
		if sim != nil {
			k := sim.Accounts[a.Name]
			cfg.BaseURL, cfg.Key, cfg.KeyID, cfg.IssuerID = simBaseURL, k.Key, k.KeyID, k.Issuer
			cfg.HTTPClient.Transport = dialOnly(strings.TrimPrefix(sim.Base, "http://"))
			cfg.BudgetReserve = 0
		} else {
			cfg.Key, aerr = loadAccountKey(c, a)
		}
		var client *extract.Client
		if aerr == nil {
			client, aerr = extract.NewClient(cfg)
		}
		switch {
		case aerr != nil && !c.MultiAccount():
			stop()
			return nil, nil, nil, aerr
		case aerr != nil:
			errs[a.Name] = aerr
		default:
			clients[a.Name] = client
		}
	}
	return clients, errs, stop, nil
}

// loadKey reads the .p8 key from api.key_path or the api.key_env variable.
func loadKey(c *config.Config) (*ecdsa.PrivateKey, error) {
	return loadAccountKey(c, c.AccountList()[0])
}

// loadAccountKey reads an account's .p8 key from its key_path or its key_env variable
// (api.key_path and api.key_env in the single-account form).
func loadAccountKey(c *config.Config, a config.Account) (*ecdsa.PrivateKey, error) {
	where := "api."
	if c.MultiAccount() {
		where = "account " + a.Name + ": "
	}
	var pemBytes []byte
	src := where + "key_env: environment variable " + a.KeyEnv
	if !c.MultiAccount() {
		src = "environment variable " + a.KeyEnv
	}
	if a.KeyPath != "" {
		b, err := os.ReadFile(a.KeyPath)
		if err != nil {
			return nil, fmt.Errorf("%skey_path: cannot read the .p8 key: %w", where, err)
		}
		pemBytes, src = b, where+"key_path "+a.KeyPath
	} else {
		pemBytes = []byte(os.Getenv(a.KeyEnv))
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

// simInstance is a running simulator and the credentials it accepts, per account.
type simInstance struct {
	Base     string
	simKey   // the first account's key: the single-account form's
	Accounts map[string]simKey
	Stop     func()
}

// simKey is one account's credentials at the simulator.
type simKey struct {
	KeyID, Issuer string
	Key           *ecdsa.PrivateKey
	PEM           []byte // the key as an Apple-style .p8 file
}

// startSimulator serves the simulator on addr with a fresh key registered per account.
// The single-account form is one simulator account with vendor_number; with accounts:,
// each account is its own (simulator.Multi): its vendor numbers, its apps and data (a
// seed derived from simulator.seed and its name), its issuer (issuer_id, or one made from
// its name) and its own rate budget.
func startSimulator(c *config.Config, addr string) (*simInstance, error) {
	opt := simulator.Options{
		Now:       clock,
		Seed:      c.Simulator.Seed,
		Vendor:    c.VendorNumber,
		RateLimit: c.Simulator.RateLimit,
		Latency:   time.Duration(c.Simulator.Latency),
		// As on a long-standing account: analytics requests exist, so the first run loads data,
		// and the one-time snapshot (a year of history) is ready too.
		AnalyticsSince:    simAnalyticsSince,
		AnalyticsSnapshot: true,
		Storm:             c.SimulatorStorm(), // simulator.faults (etl simulate --faults)
	}
	inst := &simInstance{Accounts: map[string]simKey{}}
	var h http.Handler
	addKey := func(name, kid string, srv *simulator.Server) error {
		key, pemBytes, err := simulator.GenerateKey()
		if err != nil {
			return err
		}
		srv.AddKey(kid, &key.PublicKey)
		inst.Accounts[name] = simKey{KeyID: kid, Issuer: srv.Options().IssuerID, Key: key, PEM: pemBytes}
		if inst.simKey.Key == nil {
			inst.simKey = inst.Accounts[name]
		}
		return nil
	}
	if !c.MultiAccount() {
		sim := simulator.New(opt)
		if err := addKey(config.DefaultAccount, simKeyID, sim); err != nil {
			return nil, err
		}
		h = sim
	} else {
		var accs []simulator.AccountOptions
		for _, a := range c.Accounts {
			o := opt
			o.Vendor, o.Vendors, o.IssuerID = "", a.VendorNumbers, a.IssuerID
			o.Seed = simulator.AccountSeed(c.Simulator.Seed, a.Name)
			accs = append(accs, simulator.AccountOptions{Name: a.Name, Options: o})
		}
		m, err := simulator.NewMulti(accs)
		if err != nil {
			return nil, err
		}
		for i, a := range c.Accounts {
			if err := addKey(a.Name, fmt.Sprintf("SIMULATOR%d", i+1), m.Account(a.Name)); err != nil {
				return nil, err
			}
		}
		h = m
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	inst.Base = "http://" + ln.Addr().String()
	inst.Stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return inst, nil
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
