package sources

import (
	"context"
	"net/url"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/engine"
)

// docRounds is how many more times a document of a multi-document unit is asked for when
// the client gave up on it with a temporary failure (extract.Temporary: a 5xx, a body that
// never arrived whole, a reset) after its own api.max_attempts tries.
//
// Decision: one more round. A unit of thirty documents (a metrics snapshot, the catalog)
// is failed and redone whole, next run, by any one document that fails; with a second
// round a flaky document costs its own retries (2 × max_attempts at most), never the
// good documents again. A 429, any other 4xx and a used-up budget are not retried here:
// more requests do not help those. An outage costs twice the requests of one round per
// unit before the unit fails.
const docRounds = 1

// patient retries a document's GET (GetJSON; EachPage pages go through it) for docRounds
// more rounds on a temporary failure.
type patient struct{ engine.API }

func (p patient) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	for round := 0; ; round++ {
		b, err := p.API.GetJSON(ctx, target, q)
		if err == nil || round >= docRounds || ctx.Err() != nil || !extract.Temporary(err) {
			return b, err
		}
	}
}

// patientFetch is env with its API patient: one line at the top of a multi-document Fetch.
func patientFetch(env *engine.FetchEnv) *engine.FetchEnv {
	e := *env
	e.API = patient{env.API}
	return &e
}

// patientPlan is env with its API patient, for a Plan that lists many documents.
func patientPlan(env *engine.PlanEnv) *engine.PlanEnv {
	e := *env
	e.API = patient{env.API}
	return &e
}
