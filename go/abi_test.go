// abi_test.go — the package against skv.h: it calls every function the header declares, and
// refuses a library whose ABI version differs from the header's it was generated from.

package skv

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every function of skv.h (abiFunctions, generated) is called by the package's sources.
func TestEveryABIFunctionIsCalled(t *testing.T) {
	var src strings.Builder
	for _, pattern := range []string{"*.go", "*.h", "*.c"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_gen.go") || f == "engine.c" {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	for _, fn := range abiFunctions {
		if !regexp.MustCompile(`\b` + fn + `\(`).MatchString(src.String()) {
			t.Errorf("%s (skv.h) is not called by the Go package", fn)
		}
	}
}

func TestABIVersionCheck(t *testing.T) {
	if err := checkABI(ABIVersion()); err != nil {
		t.Fatal(err)
	}
	if err := checkABI(headerABIVersion + 1); err == nil {
		t.Fatal("a library with another ABI version was accepted")
	}
	if VersionNumber() != headerVersionNumber || Version() != headerVersionString {
		t.Fatalf("library %s (%d), header %s (%d)", Version(), VersionNumber(), headerVersionString,
			headerVersionNumber)
	}
}
