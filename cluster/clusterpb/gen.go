// Package clusterpb holds the protobuf messages that troupe's cluster
// members send each other: leases of a cluster-wide token bucket and of
// admission by a cluster-wide circuit breaker, and the items and answers
// of batchers of scope cluster.
//
// The Go code is generated and committed. To regenerate it, with protoc from
// Debian's protobuf-compiler (3.21.12) and protoc-gen-go at the version of
// google.golang.org/protobuf in go.mod:
//
//	apt-get install protobuf-compiler
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./cluster/clusterpb
package clusterpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative lease.proto
//go:generate protoc --go_out=. --go_opt=paths=source_relative breaker.proto
//go:generate protoc --go_out=. --go_opt=paths=source_relative batch.proto
