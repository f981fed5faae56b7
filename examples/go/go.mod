module github.com/stack-cfo/stack-cfo/examples/go

go 1.19

require (
	github.com/stack-cfo/stack-cfo/gen/go v0.0.0
	google.golang.org/genproto v0.0.0-20201019141844-1ed22bb0c154
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)

// In this repository the example builds against the generated code next to it. No version of the
// module is published yet: a copy of the example outside it vendors gen/go and points this line at
// that copy (docs/api.md, "Go": replace ... => ./third_party/stack-cfo-gen-go).
replace github.com/stack-cfo/stack-cfo/gen/go => ../../gen/go
