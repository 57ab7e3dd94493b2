package config

import (
	"strconv"
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/simulator"
)

func TestSimulatorFaults(t *testing.T) {
	def, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if def.Simulator.Faults != "" || def.SimulatorStorm().Active() {
		t.Errorf("faults are on by default: %q", def.Simulator.Faults)
	}
	for _, tc := range []struct {
		faults string
		want   simulator.Storm
		err    string
	}{
		{faults: `"500=0.2,429=0.1,reset=0.05,truncate=0.05"`, want: simulator.Storm{ServerError: 0.2, RateLimited: 0.1, Reset: 0.05, Truncate: 0.05}},
		{faults: `"reset=0.5"`, want: simulator.Storm{Reset: 0.5}},
		{faults: `"502=0.1"`, err: `simulator.faults: fault 1 "502=0.1": unknown fault "502"`},
		{faults: `"500=0.7,429=0.7"`, err: "simulator.faults: faults \"500=0.7,429=0.7\": the probabilities add up to 1.4"},
	} {
		yml := strings.Replace(string(etl.DefaultConfig), `  faults: ""`, "  faults: "+tc.faults, 1)
		c, err := Parse("x.yml", []byte(yml))
		if tc.err != "" {
			line := strings.Count(yml[:strings.Index(yml, "  faults: ")], "\n") + 1
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "line "+strconv.Itoa(line)+": simulator.faults") {
				t.Errorf("%s: error %v, want %q at line %d", tc.faults, err, tc.err, line)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.faults, err)
			continue
		}
		if got := c.SimulatorStorm(); got != tc.want {
			t.Errorf("%s: storm %+v, want %+v", tc.faults, got, tc.want)
		}
	}
}
