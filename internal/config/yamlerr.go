package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlMsg turns a decoding error into problems that each start with "line N: ". yaml.v3
// names the line of most errors, but not of a byte it refuses to read (a control
// character, invalid UTF-8), of an error on the first line, or of an alias, anchor, merge
// or !!binary it cannot decode: for those the line is found here, from the bytes (data)
// or from the document's nodes (root, nil when the document did not parse).
func yamlMsg(data []byte, root *yaml.Node, err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var out []string
		for _, e := range te.Errors {
			out = append(out, withLine(data, root, e))
		}
		return out
	}
	return []string{withLine(data, root, strings.TrimPrefix(err.Error(), "yaml: "))}
}

var (
	lineRE       = regexp.MustCompile(`^line [0-9]+: `)
	anchorRefRE  = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
	anchorSelfRE = regexp.MustCompile(`^anchor '(.*)' value contains itself$`)
)

func withLine(data []byte, root *yaml.Node, msg string) string {
	if lineRE.MatchString(msg) {
		return msg
	}
	return fmt.Sprintf("line %d: %s", yamlErrLine(data, root, msg), msg)
}

// yamlErrLine is the line a message without one is about (1 when nothing better is known:
// yaml.v3 leaves the line out for errors on the first line).
func yamlErrLine(data []byte, root *yaml.Node, msg string) int {
	lineAt := func(i int) int { return 1 + bytes.Count(data[:i], []byte("\n")) }
	switch {
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters") || strings.Contains(msg, "Unicode character"):
		if i := unreadable(data); i >= 0 {
			return lineAt(i)
		}
	case anchorRefRE.MatchString(msg):
		if i := bytes.Index(data, []byte("*"+anchorRefRE.FindStringSubmatch(msg)[1])); i >= 0 {
			return lineAt(i)
		}
	case anchorSelfRE.MatchString(msg):
		if i := bytes.Index(data, []byte("&"+anchorSelfRE.FindStringSubmatch(msg)[1])); i >= 0 {
			return lineAt(i)
		}
	}
	var match func(parent, n *yaml.Node) bool
	switch {
	case strings.Contains(msg, "aliasing"):
		match = func(_, n *yaml.Node) bool { return n.Kind == yaml.AliasNode }
	case strings.Contains(msg, "binary"):
		match = func(_, n *yaml.Node) bool { return n.Tag == "!!binary" }
	case strings.Contains(msg, "merge"):
		match = func(_, n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Value == "<<" }
	case strings.Contains(msg, "map key"):
		match = func(p, n *yaml.Node) bool { return p != nil && p.Kind == yaml.MappingNode && n.Kind != yaml.ScalarNode }
	}
	if n := findNode(nil, root, match); n != nil && n.Line > 0 {
		return n.Line
	}
	return 1
}

// unreadable is the offset of the first character YAML does not accept (invalid UTF-8 or
// a control character other than tab, LF, CR and NEL; a BOM only at the start), or -1.
func unreadable(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		ok := r == '\t' || r == '\n' || r == '\r' || r == 0x85 || (r >= 0x20 && r <= 0x7e) ||
			(r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd && (r != 0xfeff || i == 0)) || (r >= 0x10000 && r <= 0x10ffff)
		if r == utf8.RuneError && n == 1 || !ok {
			return i
		}
		i += n
	}
	return -1
}

// findNode is the first node under n (depth first, in document order) that match
// accepts; nil without a match.
func findNode(parent, n *yaml.Node, match func(parent, n *yaml.Node) bool) *yaml.Node {
	if n == nil || match == nil {
		return nil
	}
	if match(parent, n) {
		return n
	}
	for _, c := range n.Content {
		if m := findNode(n, c, match); m != nil {
			return m
		}
	}
	return nil
}

// validateDurations checks the durations of the api and simulator sections (the others
// are checked with their sections).
func (c *Config) validateDurations(add func(string, string, ...any)) {
	if c.API.Timeout <= 0 {
		add("api.timeout", "%s must be positive", time.Duration(c.API.Timeout))
	}
	if c.API.MaxBudgetWait < 0 {
		add("api.max_budget_wait", "%s must not be negative", time.Duration(c.API.MaxBudgetWait))
	}
	if c.Simulator.Latency < 0 {
		add("simulator.latency", "%s must not be negative", time.Duration(c.Simulator.Latency))
	}
}
