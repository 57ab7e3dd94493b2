package schemas

// Layout versions: the column sets Apple has used over the years for one table's report.
// A table's Columns are the union of its versions (old spellings as Aliases); a file is
// mapped by header as always, and its layout version is the one its header matches best.
// Drift is measured against that version, so a 2015 Sales Summary, which never had a Device
// column, is not reported as missing one.

// LayoutVersion is one column set of a report.
type LayoutVersion struct {
	// Name is the report and the version label, e.g. "SALES/SUMMARY 2014",
	// "SUBSCRIPTION/SUMMARY 1_2".
	Name string
	// Label is the version label alone: Apple's filter[version] ("1_2") where Apple
	// versioned the layout, else the year the layout appeared ("2014").
	Label string
	// APIVersion is the filter[version] value a file of this layout was served under
	// ("1_0" for every SALES layout: Apple changed those columns without a new version).
	APIVersion string
	// Headers are the header cells in Apple's order, spelled as in that version.
	Headers []string
	// Provisional: inferred, not confirmed against a real Apple file (see the comment
	// where the layout is defined).
	Provisional bool
}

// LayoutMatch is how one file header compares with the layout version it matched best.
type LayoutMatch struct {
	Layout LayoutVersion
	// Missing are the layout's headers absent from the file (optional columns excepted).
	Missing []string
	// Added are file headers the table knows but this layout version does not have
	// (optional columns excepted); cells of the table unknown to every version are not
	// counted here.
	Added []string
	// Renamed are file headers that match a column of the layout under another spelling
	// ("Promotional Offer Name" in a file whose layout says "Subscription Offer Name").
	Renamed []string
	// Matched is the number of the layout's columns found in the header.
	Matched int
}

// MatchLayout finds the layout version of t that best explains header: the fewest
// missing, added and renamed columns, then the most matched, then the newest. When version names
// the APIVersion of some of t's layouts, only those are considered (Apple said which
// version it served); otherwise all are. ok is false for a table without layout versions.
func (t *Table) MatchLayout(header []string, version string) (m LayoutMatch, ok bool) {
	cands := t.Versions
	if version != "" {
		var same []LayoutVersion
		for _, v := range t.Versions {
			if v.APIVersion == version {
				same = append(same, v)
			}
		}
		if len(same) > 0 {
			cands = same
		}
	}
	if len(cands) == 0 {
		return LayoutMatch{}, false
	}
	inFile := map[int]string{} // column index → the file's header, normalized
	for _, h := range header {
		if i := t.ColumnIndex(h); i >= 0 {
			if _, dup := inFile[i]; !dup {
				inFile[i] = ColumnName(h)
			}
		}
	}
	best, bestDiff := LayoutMatch{}, -1
	for _, v := range cands {
		cur := LayoutMatch{Layout: v}
		inLayout := map[int]bool{}
		for _, h := range v.Headers {
			i := t.ColumnIndex(h)
			inLayout[i] = true
			fileName, found := inFile[i]
			switch {
			case i >= 0 && found:
				cur.Matched++
				if fileName != ColumnName(h) {
					cur.Renamed = append(cur.Renamed, fileHeader(t, header, i))
				}
			case i < 0 || !t.Columns[i].Optional:
				cur.Missing = append(cur.Missing, h)
			}
		}
		seen := map[int]bool{}
		for _, h := range header {
			i := t.ColumnIndex(h)
			if i < 0 || seen[i] || inLayout[i] || t.Columns[i].Optional {
				continue
			}
			seen[i] = true
			cur.Added = append(cur.Added, h)
		}
		diff := len(cur.Missing) + len(cur.Added) + len(cur.Renamed)
		// Later versions win ties: cands are oldest first.
		if bestDiff < 0 || diff < bestDiff || diff == bestDiff && cur.Matched >= best.Matched {
			best, bestDiff = cur, diff
		}
	}
	return best, true
}

// LatestLayout is the newest layout version of t (ok false when t has none).
func (t *Table) LatestLayout() (LayoutVersion, bool) {
	if len(t.Versions) == 0 {
		return LayoutVersion{}, false
	}
	return t.Versions[len(t.Versions)-1], true
}

// fileHeader is the first cell of header that denotes column i of t.
func fileHeader(t *Table, header []string, i int) string {
	for _, h := range header {
		if t.ColumnIndex(h) == i {
			return h
		}
	}
	return ""
}
