package proxy

import "github.com/restreamkit/restreamkit/internal/report"

// Record is one violation as the proxy reports it; internal/report owns its format, which
// restream-gateway shares.
type Record = report.Record

// UnknownOperation is the report bucket of every request no operation of the spec matches (an
// unknown path, or a method its path does not have); see report.UnknownOperation.
const UnknownOperation = report.UnknownOperation
