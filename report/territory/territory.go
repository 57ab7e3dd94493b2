// Package territory converts App Store territory codes between ISO 3166-1 alpha-3 (what
// the App Store Connect API sends, e.g. customerReviews.attributes.territory) and alpha-2.
//
// The table is the full ISO 3166-1 list of officially assigned codes (249) plus the few
// non-ISO codes Apple's territory enum is known to use (see extras). Any other code is
// unknown: Alpha2 returns "", false and callers keep the alpha-3 value as sent. Lookups
// are exact and case-sensitive ("usa" is unknown), since Apple always sends upper case.
package territory

// extras are codes in Apple's territory enum that ISO 3166-1 does not officially assign,
// mapped to the alpha-2 code in common use for them. They round-trip like ISO codes.
var extras = map[string]string{
	// Kosovo: user-assigned code, used by the European Commission, CLDR and Apple.
	"XKS": "XK",
	// Netherlands Antilles: deleted from ISO 3166-1 in 2010 (now transitionally
	// reserved) but still in Apple's enum.
	"ANT": "AN",
}

var (
	to2 map[string]string // alpha-3 → alpha-2, ISO plus extras
	to3 map[string]string // alpha-2 → alpha-3
)

func init() {
	to2 = make(map[string]string, len(iso)+len(extras))
	to3 = make(map[string]string, len(iso)+len(extras))
	for _, m := range []map[string]string{iso, extras} {
		for a3, a2 := range m {
			if _, dup := to2[a3]; dup {
				panic("territory: duplicate alpha-3 " + a3)
			}
			if _, dup := to3[a2]; dup {
				panic("territory: duplicate alpha-2 " + a2)
			}
			to2[a3], to3[a2] = a2, a3
		}
	}
}

// Alpha2 returns the alpha-2 code of an alpha-3 code, or "", false if the code is unknown.
func Alpha2(alpha3 string) (string, bool) {
	a2, ok := to2[alpha3]
	return a2, ok
}

// Alpha3 returns the alpha-3 code of an alpha-2 code, or "", false if the code is unknown.
func Alpha3(alpha2 string) (string, bool) {
	a3, ok := to3[alpha2]
	return a3, ok
}

// IsISO reports whether alpha3 is an officially assigned ISO 3166-1 code (extras are not).
func IsISO(alpha3 string) bool {
	_, ok := iso[alpha3]
	return ok
}
