// The Go tour, a program outside the skv module that imports it, as any Go program would; the
// replace directive points at this checkout (drop it to use a published version).
module example.com/skv-tour

go 1.23

require github.com/skvdb/skv v0.0.0-00010101000000-000000000000

replace github.com/skvdb/skv => ../../..
