package httpin

import (
	"github.com/troupe-go/troupe/internal/loglimit"
	"net"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ConnLimits are the caps of a listener made by LimitListener. Zero means no
// cap.
type ConnLimits struct {
	// Max caps the connections open at once.
	Max int
	// PerIP caps the connections open at once from one client address.
	PerIP int
}

// LimitListener returns ln with its connections capped by limits: a
// connection past a cap is closed as soon as it is accepted, counted with
// obs (which may be nil) and logged on log at Warn, at most
// ErrorLogLinesPerSecond lines a second. A connection counts until it is
// closed; a hijacked one too.
func LimitListener(ln net.Listener, limits ConnLimits, log *zap.Logger, obs ConnObserver) net.Listener {
	if obs == nil {
		obs = nopObserver{}
	}
	l := &limitListener{
		Listener: ln, limits: limits, obs: obs,
		log: loglimit.RateLimited(log, ErrorLogLinesPerSecond, time.Now),
	}
	if limits.PerIP > 0 {
		l.byIP = map[netip.Addr]int{}
	}
	return l
}

// limitListener is a net.Listener that keeps to its ConnLimits.
type limitListener struct {
	net.Listener
	limits ConnLimits
	log    *zap.Logger
	obs    ConnObserver

	mu   sync.Mutex
	open int
	byIP map[netip.Addr]int // nil without a cap per address
}

// Accept implements net.Listener: it returns the next connection within the
// caps, closing those past them.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		reason := l.admit(ip)
		if reason == "" {
			return &limitConn{Conn: c, l: l, ip: ip}, nil
		}
		l.obs.ConnRejected(reason)
		l.log.Warn("connection closed at once: past the cap", zap.String("cap", string(reason)), zap.Stringer("remote", c.RemoteAddr()))
		_ = c.Close()
	}
}

// admit counts a connection from ip, or says which cap it is past.
func (l *limitListener) admit(ip netip.Addr) ConnRejection {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.Max > 0 && l.open >= l.limits.Max {
		return ConnOverCap
	}
	if l.byIP != nil {
		if l.byIP[ip] >= l.limits.PerIP {
			return ConnOverIPCap
		}
		l.byIP[ip]++
	}
	l.open++
	return ""
}

// release uncounts a connection from ip.
func (l *limitListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byIP != nil {
		if l.byIP[ip]--; l.byIP[ip] <= 0 {
			delete(l.byIP, ip)
		}
	}
}

// limitConn is a connection of a limitListener; closing it frees its place.
type limitConn struct {
	net.Conn
	l    *limitListener
	ip   netip.Addr
	once sync.Once
}

// Close implements net.Conn.
func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// remoteIP is the client address of c, IPv4-mapped IPv6 unmapped; the zero
// Addr when c is not over IP.
func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
