package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
)

func cmdCheckConfig(ctx context.Context, e *env, args []string) int {
	fs := e.flags("check-config")
	online := fs.Bool("online", false, "also make one cheap authenticated request (GET /v1/apps?limit=1), so a wrong key is caught before a run")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if !c.UsesSimulator() {
		for _, a := range c.AccountList() {
			if _, err := loadAccountKey(c, a); err != nil {
				fmt.Fprintln(e.stderr, "etl:", err)
				return 2
			}
		}
	}
	b, err := openBucket(ctx, c.Storage.Bucket)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	b.Close()
	vendors := "vendor " + c.VendorNumber
	if c.MultiAccount() {
		var as []string
		for _, a := range c.Accounts {
			as = append(as, fmt.Sprintf("%s [%s]", a.Name, strings.Join(a.VendorNumbers, " ")))
		}
		vendors = fmt.Sprintf("%d accounts: %s", len(as), strings.Join(as, ", "))
	}
	fmt.Fprintf(e.stdout, "%s: ok (%s, %s, %d sales report(s), finance %v)\n",
		c.File(), apiName(c), vendors, len(c.Sales.Reports), c.Finance.Enabled)
	if *online {
		return e.checkOnline(ctx, c)
	}
	return 0
}

// checkOnline makes one authenticated request: a key that parses but that Apple does not
// accept (another team's, revoked, a wrong key id or issuer) fails here, not on every unit
// of a run. Exit 2 when Apple refuses the credentials, 1 when the API cannot be reached.
func (e *env) checkOnline(ctx context.Context, c *config.Config) int {
	clients, errs, stop, err := apiClients(c, slog.New(slog.DiscardHandler), 0)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	defer stop()
	code := 0
	for _, a := range c.AccountList() {
		if err := errs[a.Name]; err != nil {
			fmt.Fprintf(e.stderr, "etl: account %s: %v\n", a.Name, err)
			code = 2
			continue
		}
		if ac := e.checkOnlineKey(ctx, c, a, clients[a.Name]); ac > code {
			code = ac
		}
	}
	return code
}

// checkOnlineKey asks the API once with one account's client.
func (e *env) checkOnlineKey(ctx context.Context, c *config.Config, a config.Account, client *extract.Client) int {
	who, fields := apiName(c), "api.issuer_id, api.key_id and the .p8 key"
	if c.MultiAccount() {
		who, fields = apiName(c)+": account "+a.Name, "the account's issuer_id, key_id and .p8 key"
	}
	body, err := client.GetJSON(ctx, "/v1/apps", url.Values{"limit": {"1"}})
	var ae *extract.APIError
	switch {
	case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
		fmt.Fprintf(e.stderr, "etl: %s: the API refused the credentials (%v): check %s "+
			"(a key of another team, or a revoked one, looks valid until Apple answers)\n", who, err, fields)
		return 2
	case err != nil:
		fmt.Fprintf(e.stderr, "etl: %s: the API could not be asked: %v\n", who, err)
		return 1
	}
	var doc struct {
		Meta struct {
			Paging struct{ Total int } `json:"paging"`
		} `json:"meta"`
	}
	_ = json.Unmarshal(body, &doc)
	key := "key " + a.KeyID
	if c.UsesSimulator() {
		key = "the simulator's key"
	}
	if c.MultiAccount() {
		key = "account " + a.Name + "'s " + strings.TrimPrefix(key, "the ")
	}
	fmt.Fprintf(e.stdout, "online: ok (GET /v1/apps answered with %s; %d app(s) visible)\n", key, doc.Meta.Paging.Total)
	return 0
}

func apiName(c *config.Config) string {
	if c.UsesSimulator() {
		return "embedded simulator"
	}
	return c.API.BaseURL
}
