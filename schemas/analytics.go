package schemas

// analyticsTables are the Analytics Reports API tables (issue 3).
func analyticsTables() []*Table { return nil }
