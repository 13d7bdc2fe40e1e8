package auth

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// namedSecret is one line of a key file.
type namedSecret struct {
	name, secret string
}

// readKeyFile reads a file of API keys: one "name:key" per line, the key
// being everything after the first colon; spaces around name and key are
// dropped; blank lines and lines starting with "#" are skipped. Errors name
// the file and line, never the key.
func readKeyFile(path string) ([]namedSecret, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	var out []namedSecret
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, secret, ok := strings.Cut(line, ":")
		name, secret = strings.TrimSpace(name), strings.TrimSpace(secret)
		switch {
		case !ok || name == "" || secret == "":
			return nil, fmt.Errorf("key file %s:%d: want name:key", path, n)
		case seen[name]:
			return nil, fmt.Errorf("key file %s:%d: key %q given twice", path, n, name)
		}
		seen[name] = true
		out = append(out, namedSecret{name: name, secret: secret})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return out, nil
}
