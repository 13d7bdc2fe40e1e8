package metrics

import (
	"net/http"
	"strings"
)

// Methods are the values of the method label but OtherMethod: the
// standard methods of RFC 9110 and PATCH.
var Methods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
}

// OtherMethod is the method label of any method not in Methods, so that a
// client cannot grow the metrics without bound by making methods up.
const OtherMethod = "OTHER"

// methodsHelp lists the method label's values for HELP texts.
var methodsHelp = strings.Join(Methods, ", ") + " or " + OtherMethod

// MethodLabel returns the method label of method: itself if standard
// (methods are case-sensitive: "get" is not GET), else OtherMethod.
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method // the caller's string: no allocation
	}
	return OtherMethod
}
