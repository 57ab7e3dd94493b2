package main

import (
	"context"

	"github.com/ascetl/etl/internal/pipeline"
)

// cmdCompact compacts every completed month of the sales tables into one object per
// table and month (README "Layout"), moves objects of the layout before months into it,
// then rebuilds the views. `etl run` does the same for the months it touches and the
// months that just completed; this is for older data and after an upgrade.
func cmdCompact(ctx context.Context, e *env, args []string) int {
	fs := e.flags("compact")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views afterwards")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	return e.execute(ctx, runSpec{command: "compact", views: !*noViews}, func(ctx context.Context, p *pipeline.Pipeline) (*pipeline.Summary, error) {
		return p.Compact(ctx)
	})
}
