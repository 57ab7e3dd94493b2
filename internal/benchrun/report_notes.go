package benchrun

// notes is the part of BENCHMARKS.md that explains the figures: written with the code it
// describes, regenerated with the figures.
func (r *Report) notes(p func(string, ...any)) {
	p("%s", notesText)
}

const notesText = `TODO
`
