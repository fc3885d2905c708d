// Command bareproxy is the yardstick of bench/proxy.sh: a plain httputil.ReverseProxy with the same
// upstream transport settings as restream-proxy, and nothing else.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18291", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:18290", "upstream URL")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConns: 512, MaxIdleConnsPerHost: 256,
			IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true, DisableCompression: true},
		FlushInterval: -1,
	}
	log.Fatal(http.ListenAndServe(*addr, rp))
}
