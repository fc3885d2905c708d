// Package har keeps the exchanges restream-proxy relays as an HTTP Archive (HAR 1.2), the format
// browser devtools, Charles, Fiddler and load-testing tools import (restream-proxy --har FILE).
//
// Everything goes through internal/redact first: credentials in headers, query strings and
// bodies never reach the file. The archive is bounded: at most MaxEntries entries and MaxBytes of
// body text in all; what is past either is counted in the log's comment.
package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/redact"
)

// Bounds of an archive.
const (
	// MaxEntries bounds the exchanges kept.
	MaxEntries = 10_000
	// MaxBytes bounds the body text kept, requests and responses together.
	MaxBytes = 64 << 20
	// MaxBodyText bounds the text kept of one body; a longer one is cut and says so.
	MaxBodyText = 256 << 10
)

// Exchange is one relayed exchange as the proxy hands it over. Bodies are decoded.
type Exchange struct {
	Started        time.Time
	Wait           time.Duration // from sending the request to the end of the response
	Method         string
	URL            *url.URL // as the client asked for it: scheme, host, path and query
	Proto          string
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// Archive collects exchanges; it is safe for concurrent use.
type Archive struct {
	creator string
	mu      sync.Mutex
	entries []entry
	bytes   int
	dropped int
}

// New returns an empty archive made by creator (such as "restream-proxy dev").
func New(creator string) *Archive { return &Archive{creator: creator} }

// Add keeps one exchange, redacted.
func (a *Archive) Add(x Exchange) {
	e := entry{
		Started: x.Started.UTC().Format("2006-01-02T15:04:05.000Z"),
		Time:    ms(x.Wait),
		Request: request{Method: x.Method, URL: redactedURL(x.URL), HTTPVersion: proto(x.Proto), Cookies: []nameValue{},
			Headers: headers(x.RequestHeader), QueryString: query(x.URL), HeadersSize: -1, BodySize: len(x.RequestBody)},
		Response: response{Status: x.Status, StatusText: http.StatusText(x.Status), HTTPVersion: proto(x.Proto), Cookies: []nameValue{},
			Headers: headers(x.ResponseHeader), RedirectURL: redact.URL(x.ResponseHeader.Get("Location")), HeadersSize: -1, BodySize: len(x.ResponseBody)},
		Cache:   struct{}{},
		Timings: timings{Send: 0, Wait: ms(x.Wait), Receive: 0},
	}
	size := 0
	if len(x.RequestBody) > 0 {
		ct := x.RequestHeader.Get("Content-Type")
		text, comment := bodyText(ct, x.RequestBody)
		e.Request.PostData = &postData{MimeType: ct, Text: text, Params: []nameValue{}, Comment: comment}
		size += len(text)
	}
	ct := x.ResponseHeader.Get("Content-Type")
	text, comment := bodyText(ct, x.ResponseBody)
	e.Response.Content = content{Size: len(x.ResponseBody), MimeType: ct, Text: text, Comment: comment}
	size += len(text)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.entries) >= MaxEntries || a.bytes+size > MaxBytes {
		a.dropped++
		return
	}
	a.entries = append(a.entries, e)
	a.bytes += size
}

// WriteFile writes the archive to path, entries in the order they started.
func (a *Archive) WriteFile(path string) error {
	a.mu.Lock()
	entries := append([]entry(nil), a.entries...)
	dropped := a.dropped
	a.mu.Unlock()
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Started < entries[j].Started })
	l := log{Version: "1.2", Creator: creator{Name: "restream-proxy", Version: strings.TrimPrefix(a.creator, "restream-proxy ")},
		Pages: []struct{}{}, Entries: entries}
	if dropped > 0 {
		l.Comment = fmt.Sprintf("%d exchanges are not in this archive: it holds at most %d entries and %d MiB of bodies", dropped, MaxEntries, MaxBytes>>20)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(struct {
		Log log `json:"log"`
	}{l}); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

// bodyText returns what the archive shows of a body: redacted, cut at MaxBodyText, and only when
// it is text (a binary body is described, not kept).
func bodyText(contentType string, body []byte) (text, comment string) {
	if len(body) == 0 {
		return "", ""
	}
	if !utf8.Valid(body) {
		return "", fmt.Sprintf("%d bytes that are not UTF-8 text, left out", len(body))
	}
	red := redact.Body(contentType, body)
	if len(red) > MaxBodyText {
		cut := MaxBodyText
		for cut > 0 && !utf8.RuneStart(red[cut]) {
			cut--
		}
		return string(red[:cut]), fmt.Sprintf("cut at %d of %d bytes", cut, len(red))
	}
	return string(red), ""
}

// headers returns redacted headers in name order.
func headers(h http.Header) []nameValue {
	out := []nameValue{}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			out = append(out, nameValue{Name: name, Value: redact.HeaderValue(name, v)})
		}
	}
	return out
}

// query returns the redacted query parameters of u, in their order.
func query(u *url.URL) []nameValue {
	out := []nameValue{}
	if u == nil || u.RawQuery == "" {
		return out
	}
	for _, pair := range strings.Split(redact.Query(u.RawQuery), "&") {
		name, value, _ := strings.Cut(pair, "=")
		n, err1 := url.QueryUnescape(name)
		v, err2 := url.QueryUnescape(value)
		if err1 != nil || err2 != nil {
			n, v = name, value
		}
		out = append(out, nameValue{Name: n, Value: v})
	}
	return out
}

func redactedURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery = redact.Query(u.RawQuery)
	c.User = nil
	return c.String()
}

func proto(p string) string {
	if p == "" {
		return "HTTP/1.1"
	}
	return p
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// The HAR 1.2 objects (http://www.softwareishard.com/blog/har-12-spec/), the fields tools read.
type log struct {
	Version string     `json:"version"`
	Creator creator    `json:"creator"`
	Pages   []struct{} `json:"pages"`
	Entries []entry    `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

type creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type entry struct {
	Started  string   `json:"startedDateTime"`
	Time     float64  `json:"time"`
	Request  request  `json:"request"`
	Response response `json:"response"`
	Cache    struct{} `json:"cache"`
	Timings  timings  `json:"timings"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type request struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []nameValue `json:"cookies"`
	Headers     []nameValue `json:"headers"`
	QueryString []nameValue `json:"queryString"`
	PostData    *postData   `json:"postData,omitempty"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
}

type postData struct {
	MimeType string      `json:"mimeType"`
	Params   []nameValue `json:"params"`
	Text     string      `json:"text"`
	Comment  string      `json:"comment,omitempty"`
}

type response struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []nameValue `json:"cookies"`
	Headers     []nameValue `json:"headers"`
	Content     content     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
}

type content struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type timings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}
