// version.go — the library's version at run time, and the check at package initialisation
// that the compiled library has the ABI this package was generated for.

package skv

/*
#include "skv.h"
*/
import "C"

import "fmt"

// Version returns the library's version string ("0.1.0", skv_version_string).
func Version() string { return C.GoString(C.skv_version_string()) }

// VersionNumber returns the library's version as MAJOR*10000 + MINOR*100 + PATCH
// (skv_version_number).
func VersionNumber() uint { return uint(C.skv_version_number()) }

// ABIVersion returns the ABI version of the library (skv_abi_version); the package refuses to
// load when it differs from the one its generated code was made for.
func ABIVersion() uint { return uint(C.skv_abi_version()) }

func init() {
	if err := checkABI(ABIVersion()); err != nil {
		panic(err)
	}
}

// checkABI compares the library's ABI version with the header's the package was generated from.
func checkABI(got uint) error {
	if got != headerABIVersion {
		return fmt.Errorf("skv: the library has ABI version %d, this package was generated for %d "+
			"(run bindings/generate.py and rebuild)", got, headerABIVersion)
	}
	return nil
}
