package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// where names a dotted path like "sales.reports[2].version" for a message: "line 12:
// sales.reports[2].version" when the file sets it; for a key the file leaves out (its
// value is the default), the line of its nearest section in the file and "(not set)", or
// only "(not set)" when the file has none of it.
func (c *Config) where(path string) string {
	line, exact := c.find(path)
	switch {
	case exact:
		return fmt.Sprintf("line %d: %s", line, path)
	case line > 0:
		return fmt.Sprintf("line %d: %s (not set)", line, path)
	}
	return path + " (not set)"
}

// line finds the line of a dotted path in the YAML, falling back to the nearest existing
// parent (0 if none).
func (c *Config) line(path string) int {
	l, _ := c.find(path)
	return l
}

// find returns the line of a dotted path in the file; exact is false when only a parent
// (whose line is returned, 0 if none) is in the file.
func (c *Config) find(path string) (line int, exact bool) {
	if c.root == nil || len(c.root.Content) == 0 {
		return 0, false
	}
	n := c.root.Content[0]
	best := 0
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			fmt.Sscanf(part[i:], "[%d]", &idx)
		}
		next := mapKey(n, name)
		if next == nil {
			return best, false
		}
		best, n = next.Line, mapValue(n, name)
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return best, false
			}
			n = n.Content[idx]
			best = n.Line
		}
	}
	return best, true
}

// mapKey returns the key node of key in mapping n (its line is the key's line, where a
// value on the following lines would put it after).
func mapKey(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
