// The Go module of skv: the package skv lives in go/ and cgo compiles the engine (engine/,
// capi/) from this module, so the module is rooted here, where it contains the C sources.
module github.com/skvdb/skv

go 1.23
