package walkthrough

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
)

// Addr is a loopback address a command listens on by default, and the environment variable
// that moves it.
type Addr struct {
	Port int
	Env  string
}

// defaultAddr is how a command's --help shows an address flag: "[$RESTREAM_MOCK_ADDR] (default
// "127.0.0.1:8080")". Reading the defaults from --help keeps the commands their only owner.
var defaultAddr = regexp.MustCompile(`\[\$(\w+)\] \(default "127\.0\.0\.1:(\d+)"\)`)

// DefaultAddrs returns the loopback addresses a command's --help output shows as defaults.
func DefaultAddrs(help string) []Addr {
	var addrs []Addr
	for _, m := range defaultAddr.FindAllStringSubmatch(help, -1) {
		port, _ := strconv.Atoi(m[2])
		addrs = append(addrs, Addr{Port: port, Env: m[1]})
	}
	return addrs
}

// Moved maps the commands' default ports to free ones, so that a walkthrough written for
// 127.0.0.1:8080 runs beside anything that already listens there.
type Moved struct {
	addrs []Addr
	to    map[int]int
}

// Move picks a free loopback port for each address. It listens on all of them at once, so the
// ports differ, and closes them for the commands to take.
func Move(addrs []Addr) (*Moved, error) {
	m := &Moved{addrs: addrs, to: map[int]int{}}
	for _, a := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		if _, dup := m.to[a.Port]; dup {
			return nil, fmt.Errorf("two addresses default to port %d", a.Port)
		}
		m.to[a.Port] = l.Addr().(*net.TCPAddr).Port
	}
	return m, nil
}

// Env returns the variables that make the commands listen on the free ports.
func (m *Moved) Env() []string {
	var env []string
	for _, a := range m.addrs {
		env = append(env, a.Env+"=127.0.0.1:"+strconv.Itoa(m.to[a.Port]))
	}
	return env
}

var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)

// Rewrite replaces every 127.0.0.1:PORT of text whose port is a default with the free port.
func (m *Moved) Rewrite(text string) string {
	return loopbackPort.ReplaceAllStringFunc(text, func(s string) string {
		port, err := strconv.Atoi(s[len("127.0.0.1:"):])
		if to, ok := m.to[port]; err == nil && ok {
			return "127.0.0.1:" + strconv.Itoa(to)
		}
		return s
	})
}
