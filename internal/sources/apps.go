package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/report"
)

// Apps lists the apps of the key once per pass, for the families that read per app
// (reviews, metrics, analytics, TestFlight, Xcode Cloud) when their config names none.
type Apps struct {
	Vendor string

	mu   sync.Mutex
	done bool
	apps []string
	err  error
}

// DiscoveryUnit is the scope a failed app listing is reported under.
func (a *Apps) DiscoveryUnit(now string) report.Unit {
	return report.Unit{Family: report.Catalog, Type: "APP_DISCOVERY", Vendor: a.Vendor, Period: now}
}

// List returns configured when it is not empty, else the apps the key can see that have
// a version on the App Store (GET /v1/apps?filter[appStoreVersions.appStoreState]=
// READY_FOR_SALE, every page), listed once per pass. Apps only known to the sales reports
// (pre-orders, removed apps) have no reviews, metrics or analytics, hence the filter. A
// failed listing is returned as a Failure (the same one to every family), so each family
// skips its apps for this pass.
func (a *Apps) List(ctx context.Context, env *engine.PlanEnv, configured []string) ([]string, *engine.Failure) {
	if len(configured) > 0 {
		return configured, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.done {
		a.apps, a.err = discover(ctx, patient{env.API})
		a.done = ctx.Err() == nil
		if a.err == nil {
			env.Log.Info("apps discovered", "apps", len(a.apps))
		}
	}
	if a.err != nil {
		return nil, &engine.Failure{Unit: a.DiscoveryUnit(env.Now.UTC().Format("2006-01-02")), Err: a.err}
	}
	return a.apps, nil
}

func discover(ctx context.Context, api engine.API) ([]string, error) {
	var apps []string
	q := url.Values{"filter[appStoreVersions.appStoreState]": {"READY_FOR_SALE"}, "limit": {"200"}}
	err := extract.EachPage(ctx, api, "/v1/apps", q, func(page int, body []byte) error {
		var doc struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return fmt.Errorf("GET /v1/apps page %d: %w", page, err)
		}
		for _, r := range doc.Data {
			if !report.ValidVendor(r.ID) {
				return fmt.Errorf("GET /v1/apps page %d: app id %q is not an App Apple ID", page, r.ID)
			}
			apps = append(apps, r.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("app discovery: %w", err)
	}
	return apps, nil
}
