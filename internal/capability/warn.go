package capability

import (
	"fmt"
	"slices"
	"strings"
)

// Warnings are departures from the format that the loader accepts on purpose (the seed files'
// dialect): it reads them, says so once per file and kind, and goes on. Anything that would
// change what a call sends is an error instead.

// warnKind is one kind of accepted departure.
type warnKind int

const (
	// wUnknownKey: a key the element does not define (ignored, as the reference engine does).
	wUnknownKey warnKind = iota
	// wAlpha2: an alpha2 field (hints, description on an import...) in a file that says alpha1.
	wAlpha2
	// wNotInFormat: a field no version of the format defines, read anyway (description on a
	// REST adapter).
	wNotInFormat
	// wImportFromCapability: an imported file keeps its consumes under capability.
	wImportFromCapability
	// wImportedExposes: an imported file's own adapters, which are not started.
	wImportedExposes
	// wConsumedParamDocs: type, required or description on a consumed inputParameter.
	wConsumedParamDocs
	// wTypeDiffers: a consumed inputParameter's type that differs from the spec's.
	wTypeDiffers
	// wAlias: the rest.x / tools.x aliases in place of <namespace>.x.
	wAlias
	// wNoBody: output mappings of an operation whose success answer has no body.
	wNoBody
)

// warning gathers the items of one kind in one file.
type warning struct {
	file  string
	kind  warnKind
	items []string
}

// maxWarnItems bounds how many items one warning line names.
const maxWarnItems = 4

// warn records item (may be "") under the file's warning of kind.
func (l *loader) warn(file string, kind warnKind, item string) {
	key := fmt.Sprintf("%s\x00%d", file, kind)
	w := l.warnings[key]
	if w == nil {
		w = &warning{file: file, kind: kind}
		l.warnings[key] = w
		l.warnOrder = append(l.warnOrder, key)
	}
	if item != "" && !slices.Contains(w.items, item) {
		w.items = append(w.items, item)
	}
}

// warningLines writes each warning as one line: the file, what was accepted and where.
func (l *loader) warningLines() []string {
	var lines []string
	for _, key := range l.warnOrder {
		w := l.warnings[key]
		var what string
		switch w.kind {
		case wUnknownKey:
			what = "keys the format does not define are ignored"
		case wAlpha2:
			what = fmt.Sprintf("naftiko %s header with alpha2 fields, accepted", l.versions[w.file])
		case wNotInFormat:
			what = "fields the format does not define, read anyway"
		case wImportFromCapability:
			what = "consumes imported from capability.consumes (the format puts an imported file's consumes at the top level), accepted"
		case wImportedExposes:
			what = "the imported file's own exposed adapters are not started (only its consumes are imported)"
		case wConsumedParamDocs:
			what = "type, required and description on consumed inputParameters are not in the format; the spec's are used"
		case wTypeDiffers:
			what = "consumed inputParameter types differ from the spec; the spec's are used"
		case wAlias:
			what = "rest.x / tools.x aliases accepted for the calling adapter's inputs (the format writes <namespace>.x)"
		case wNoBody:
			what = "outputParameters of operations that answer without a body are unused"
		}
		line := l.show(w.file) + ": " + what
		if n := len(w.items); n > 0 {
			shown := w.items[:min(n, maxWarnItems)]
			line += ": " + strings.Join(shown, "; ")
			if n > maxWarnItems {
				line += fmt.Sprintf(" and %d more", n-maxWarnItems)
			}
		}
		lines = append(lines, line)
	}
	return lines
}
