// Package webui is what the dashboards (the mock's /__mock/ui/, the proxy's /__proxy/ui/) share:
// the page layout with its one stylesheet, the formatting functions templates use, a writer of
// Server-Sent Events, and the small script that turns those events into rows on a page.
//
// It knows nothing about the mock or the proxy: a dashboard hands it a title, a navigation, its
// own page templates (which define "content") and the values to show, and mounts Assets and an
// SSE Broker where it likes. Pages work without JavaScript; the script only adds live rows.
//
// The SSE Broker never slows the producer: Publish is a non-blocking send into each
// subscriber's bounded queue, costs one atomic load when nobody watches, and a reader too slow
// for its queue loses events and is told how many, instead of holding up the request that
// published them.
package webui
