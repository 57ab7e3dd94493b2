package metricnames

import "testing"

func TestVocabulary(t *testing.T) {
	if got := len(Categories()); got != 8 {
		t.Errorf("%d categories, want the spec's 8", got)
	}
	seen := map[string]bool{}
	perCategory := map[string]int{}
	for _, m := range Metrics() {
		key := m.Category + "/" + m.ID
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		perCategory[m.Category]++
		if !KnownCategory(m.Category) || !KnownMetric(m.Category, m.ID) || !KnownUnit(m.Unit) {
			t.Errorf("%s in %s is not known to the Known functions", key, m.Unit)
		}
		if m.Unit == "" || m.Display == "" {
			t.Errorf("%s has no unit or display name", key)
		}
	}
	for _, c := range Categories() {
		if perCategory[c] == 0 {
			t.Errorf("category %s has no metric", c)
		}
	}
	for c := range aliases {
		if !KnownCategory(c) {
			t.Errorf("aliases of unknown category %s", c)
		}
	}
}

func TestKnown(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"LAUNCH/launchTime", KnownMetric(Launch, LaunchTime), true},
		{"alias LAUNCH/optimizedLaunchTime", KnownMetric(Launch, "optimizedLaunchTime"), true},
		{"metric under another category", KnownMetric(Hang, LaunchTime), false},
		{"unknown metric", KnownMetric(Launch, "prewarmTime"), false},
		{"unknown category", KnownCategory("GPU"), false},
		{"metric of unknown category", KnownMetric("GPU", "gpuTime"), false},
		{"unit percentPerDay", KnownUnit(PercentPerDay), true},
		{"unit alias %", KnownUnit("%"), true},
		{"unknown unit", KnownUnit("microfortnights"), false},
		{"empty unit", KnownUnit(""), false},
		{"version 1.0.0", KnownVersion("1.0.0"), true},
		{"version 2.0.0", KnownVersion("2.0.0"), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestCopies(t *testing.T) {
	Metrics()[0].ID = "changed"
	Categories()[0] = "changed"
	if Metrics()[0].ID == "changed" || Categories()[0] == "changed" {
		t.Error("Metrics or Categories hands out the package's own slice")
	}
}
