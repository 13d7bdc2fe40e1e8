package upstream

import "net/http"

// statusOf returns the status of an attempt's response for its span, or 0
// if the attempt failed.
func statusOf(resp *http.Response, err error) int {
	if err != nil || resp == nil {
		return 0
	}
	return resp.StatusCode
}
