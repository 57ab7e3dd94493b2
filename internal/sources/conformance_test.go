package sources_test

import (
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/report"
)

// The conformance suite over every Source (enginetest.RunConformanceTests).

func TestConformanceSales(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family:   report.Sales,
		Options:  enginetest.Options{Config: enginetest.Family(report.Sales, nil), Sources: sourcesNew},
		MinUnits: 10,
	})
}

func TestConformanceFinance(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family:   report.Finance,
		Options:  enginetest.Options{Config: enginetest.Family(report.Finance, nil), Sources: sourcesNew},
		MinUnits: 4,
		Refetch: func(now time.Time) engine.Window {
			return engine.Window{From: now.AddDate(0, -2, 0), To: now, Force: true, Families: []report.Family{report.Finance}}
		},
	})
}

func sourcesNew(c *config.Config) []engine.Source { return sources.New(c) }
