package cors

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// origins is an allowlist of origins: exact ones, and wildcard subdomains
// of a domain. It is read-only once built and safe for concurrent use.
type origins struct {
	exact map[string]bool // serialised origins, as a browser sends them
	wild  []wildcard
	any   bool // "*": every origin (only without credentials)
}

// wildcard is "scheme://*.domain[:port]": one or more DNS labels in front
// of domain, with the same scheme and port.
type wildcard struct {
	scheme string
	suffix string // ".domain"
	port   string // "" for the scheme's default
}

// parseOrigins builds the allowlist from its configured spellings. Each
// entry is an origin such as "https://app.example.com" or
// "http://127.0.0.1:8080", a wildcard such as "https://*.example.com", or
// "*" alone. Hosts and schemes are lowercased and default ports dropped, as
// browsers serialise origins.
func parseOrigins(list []string) (origins, error) {
	o := origins{exact: map[string]bool{}}
	var errs []error
	for _, s := range list {
		switch {
		case s == "*":
			o.any = true
		case strings.EqualFold(s, "null"):
			errs = append(errs, errors.New(`origin "null" cannot be allowed: sandboxed iframes, data: and file: pages all send it, so allowing it allows anyone`))
		default:
			scheme, host, port, err := parseOrigin(strings.ToLower(s), true)
			if err != nil {
				errs = append(errs, fmt.Errorf("origin %q: %w", s, err))
				continue
			}
			if domain, ok := strings.CutPrefix(host, "*."); ok {
				o.wild = append(o.wild, wildcard{scheme: scheme, suffix: "." + domain, port: port})
				continue
			}
			o.exact[serialise(scheme, host, port)] = true
		}
	}
	if o.any && len(list) > 1 {
		errs = append(errs, errors.New(`origin "*" must be the only origin when given`))
	}
	return o, errors.Join(errs...)
}

// allows reports whether origin, the request's Origin header as sent, is on
// the list. Anything that is not a well-formed, canonically serialised
// origin ("null", paths, user info, upper case, explicit default ports) is
// refused.
func (o *origins) allows(origin string) bool {
	if o.any {
		return true
	}
	if o.exact[origin] {
		return true
	}
	if len(o.wild) == 0 {
		return false
	}
	scheme, host, port, err := parseOrigin(origin, false)
	if err != nil || serialise(scheme, host, port) != origin {
		return false
	}
	for _, w := range o.wild {
		// The host was checked label by label, so what precedes the
		// suffix is one or more whole labels: "a.example.com" and
		// "a.b.example.com" match ".example.com"; "evilexample.com",
		// "example.com.evil.com" and "example.com" do not.
		if w.scheme == scheme && w.port == port && len(host) > len(w.suffix) && strings.HasSuffix(host, w.suffix) {
			return true
		}
	}
	return false
}

func serialise(scheme, host, port string) string {
	if port == "" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// parseOrigin splits "scheme://host[:port]" strictly: no path, query,
// fragment or user info; the host is a DNS name of non-empty labels of
// [a-z0-9-], an IPv4 address, or a bracketed IPv6 address. The default
// port of http and https is dropped ("" is returned). With wild, the host
// may start with the label "*." followed by a domain of at least two
// labels. Input is expected in lower case; upper case is refused.
func parseOrigin(s string, wild bool) (scheme, host, port string, err error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", "", "", errors.New(`want scheme://host[:port], e.g. "https://app.example.com"`)
	}
	if !validScheme(scheme) {
		return "", "", "", fmt.Errorf("bad scheme %q", scheme)
	}
	if strings.ContainsAny(rest, "/?#@\\") {
		return "", "", "", errors.New("an origin has no path, query, fragment or user info")
	}
	host, port = rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", "", "", fmt.Errorf("bad port %q", port)
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		}
	}
	if wild {
		if domain, ok := strings.CutPrefix(host, "*."); ok {
			if !validDNSName(domain) || !strings.Contains(domain, ".") {
				return "", "", "", fmt.Errorf("wildcard %q: want *.DOMAIN with a domain of two labels or more, e.g. *.example.com", host)
			}
			return scheme, host, port, nil
		}
	}
	if !validHost(host) {
		return "", "", "", fmt.Errorf("bad host %q", host)
	}
	return scheme, host, port, nil
}

// validScheme reports whether s is a URL scheme (RFC 3986), in lower case.
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validHost reports whether h is a lower-case DNS name, an IPv4 address or
// a bracketed IPv6 address, in canonical form.
func validHost(h string) bool {
	if inner, ok := strings.CutPrefix(h, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		a, err := netip.ParseAddr(inner)
		return ok && err == nil && a.Is6() && a.Zone() == "" && a.String() == inner
	}
	return validDNSName(h)
}

// validDNSName reports whether h is non-empty labels of lower-case
// letters, digits and '-' separated by single dots. IPv4 addresses pass.
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
