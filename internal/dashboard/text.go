package dashboard

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// esc makes s safe as text or as a quoted attribute value in HTML and in SVG inside it:
// invalid UTF-8 becomes U+FFFD, control characters (which XML and HTML forbid) are
// dropped, and <, >, &, ' and " become entities. Every string that comes from data goes
// through it; emoji and right-to-left text pass unchanged (the page isolates them, see
// the page's CSS and <bdi>).
func esc(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\uFFFE' || r == '\uFFFF' {
			return -1
		}
		return r
	}, s)
	return html.EscapeString(s)
}

// isolate wraps s in Unicode's first-strong isolate (FSI … PDI), so that right-to-left
// text keeps to itself inside a label that adds to it ("<name> 2.1.0").
func isolate(s string) string { return "\u2068" + s + "\u2069" }

// fontSize is the size of axis and legend text, in the SVG's user units.
const fontSize = 11

// textWidth estimates the width of s drawn at size: the page's sans-serif averages a
// little over half an em per Latin letter; CJK ideographs and emoji take a full em;
// combining marks, joiners and variation selectors take none.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w * size
}

func runeWidth(r rune) float64 {
	switch {
	case r == '\u200d' || r >= '\ufe00' && r <= '\ufe0f' || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case isWide(r):
		return 1.0
	case strings.ContainsRune("il.,:;|!'’ ·", r):
		return 0.3
	case unicode.IsUpper(r) || strings.ContainsRune("mwMW%@", r):
		return 0.72
	case unicode.IsDigit(r):
		return 0.64
	default:
		return 0.56
	}
}

// isWide reports East Asian wide characters and emoji (approximately: the main blocks).
func isWide(r rune) bool {
	return r >= 0x1100 && r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
		r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 ||
		r >= 0xffe0 && r <= 0xffe6 || r >= 0x1f300 && r <= 0x1faff || r >= 0x20000 && r <= 0x3fffd ||
		r >= 0x2600 && r <= 0x27bf
}

// fit cuts s to at most width (at size), ending it with "…" when cut. It cuts between
// runes and never leaves a joiner or variation selector dangling at the end.
func fit(s string, width, size float64) string {
	if textWidth(s, size) <= width {
		return s
	}
	limit := width - textWidth("…", size)
	w, cut := 0.0, 0
	for i, r := range s {
		if w+runeWidth(r)*size > limit {
			break
		}
		w += runeWidth(r) * size
		cut = i + utf8.RuneLen(r)
	}
	out := s[:cut]
	for {
		r, n := utf8.DecodeLastRuneInString(out)
		if n == 0 || !(r == '\u200d' || r >= '\ufe00' && r <= '\ufe0f' || unicode.IsSpace(r)) {
			break
		}
		out = out[:len(out)-n]
	}
	return out + "…"
}
