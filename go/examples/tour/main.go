// tour — a quick tour of skv from Go: open a folder, check what earlier tours left, then a
// transaction, a conflict, a range scan, a versioned read, an async commit, a checkpoint and
// the integrity check.
//
//	go run . [dbdir]          (default ./skv-tour.db)
//
// `make tour` runs four tours on one database: C (tools/tour.c), Python
// (python/examples/tour.py), Node (node/examples/tour.js) and this one. The tour of language L
// keeps its keys in [L/, L0) and leaves L/apple = green, L/cherry = dark red and
// L/elderberry = purple; tour/red-at/L holds a timestamp at which L/apple was still red, and
// tour/langs lists the languages whose tours ran. Each tour checks what the others left and
// exits non-zero with a message when something differs, so together they check that the
// packages agree.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	skv "github.com/skvdb/skv/go"
)

const lang = "go"

var left = []string{"apple = green", "cherry = dark red", "elderberry = purple"}

func say(format string, args ...any) { fmt.Printf(lang+": "+format+"\n", args...) }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, lang+" tour: "+format+"\n", args...)
	os.Exit(1)
}

func must(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func expect(what, got, want string) {
	if got != want {
		fail("%s is %q, expected %q", what, got, want)
	}
}

// get returns the value of key as text, "" when it is absent.
func get(txn *skv.Txn, key string) string {
	v, err := txn.Get([]byte(key))
	if errors.Is(err, skv.ErrNotFound) {
		return ""
	}
	must(err)
	return string(v)
}

// entries returns the entries of [lo, hi) as "key = value" strings.
func entries(txn *skv.Txn, lo, hi string) []string {
	var out []string
	for k, v := range txn.Range([]byte(lo), []byte(hi)) {
		out = append(out, fmt.Sprintf("%s = %s", k, v))
	}
	must(txn.Err())
	return out
}

// checkTourOf checks that the tour of other left exactly its three keys, and that other/apple
// was red back then.
func checkTourOf(txn *skv.Txn, other string) {
	got := entries(txn, other+"/", other+"0")
	say("  the %s tour left: %s", other, strings.Join(got, ", "))
	var want []string
	for _, e := range left {
		want = append(want, other+"/"+e)
	}
	expect("what the "+other+" tour left", strings.Join(got, ", "), strings.Join(want, ", "))
	// 0 when missing: nothing was red then
	redAt, _ := strconv.ParseUint(get(txn, "tour/red-at/"+other), 10, 64)
	v, err := txn.GetAt([]byte(other+"/apple"), redAt)
	if !errors.Is(err, skv.ErrNotFound) {
		must(err)
	}
	expect(fmt.Sprintf("%s/apple as of %d", other, redAt), string(v), "red")
	say("    %s/apple as of %d -> red", other, redAt)
}

func main() {
	dir := "skv-tour.db"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	db, err := skv.Open(dir, skv.WithOption("enable_versioning", "true"))
	must(err)
	say("== opened %s with versioning", dir)

	say("== what the earlier tours wrote")
	var langs []string
	must(db.View(func(txn *skv.Txn) error {
		langs = strings.Fields(get(txn, "tour/langs"))
		if len(langs) == 0 {
			say("  tour/langs = (not found: the first tour here)")
		} else {
			say("  tour/langs = %s", strings.Join(langs, " "))
		}
		for _, other := range langs {
			checkTourOf(txn, other)
		}
		return nil
	}))

	say("== clear what an earlier run of this tour left")
	cleared := 0
	must(db.Update(func(txn *skv.Txn) error {
		var keys [][]byte
		for k := range txn.Range([]byte("go/"), []byte("go0"), skv.KeysOnly()) {
			keys = append(keys, k)
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		cleared = len(keys)
		return txn.Err()
	}))
	say("  deleted %d keys", cleared)

	say("== a transaction: set, get, delete, commit")
	txn, err := db.Begin(skv.ReadWrite)
	must(err)
	must(txn.Set([]byte("go/apple"), []byte("red")))
	must(txn.Set([]byte("go/banana"), []byte("yellow")))
	must(txn.Set([]byte("go/cherry"), []byte("dark red")))
	expect("go/banana", get(txn, "go/banana"), "yellow")
	must(txn.Delete([]byte("go/banana")))
	must(txn.Commit())
	ts, err := db.Property("timestamp") // the commit's timestamp
	must(err)
	redAt, err := strconv.ParseUint(ts, 10, 64)
	must(err)
	say("  committed apple = red, cherry = dark red at %d", redAt)

	say("== a conflict: two transactions write go/apple, the first commit wins")
	t1, err := db.Begin(skv.ReadWrite)
	must(err)
	t2, err := db.Begin(skv.ReadWrite)
	must(err)
	must(t1.Set([]byte("go/apple"), []byte("green")))
	must(t2.Set([]byte("go/apple"), []byte("crimson")))
	must(t1.Commit())
	err = t2.Commit()
	var skvErr *skv.Error
	if !errors.As(err, &skvErr) || !errors.Is(err, skv.ErrConflict) {
		fail("the second commit returned %v, expected a conflict", err)
	}
	say("  second commit -> %s", skvErr.Code)

	say("== a range scan of [go/, go0)")
	must(db.View(func(txn *skv.Txn) error {
		scanned := entries(txn, "go/", "go0")
		for _, e := range scanned {
			say("  %s", e)
		}
		expect("the scan", strings.Join(scanned, ", "), "go/apple = green, go/cherry = dark red")

		say("== a versioned read: go/apple as of the first commit")
		old, err := txn.GetAt([]byte("go/apple"), redAt)
		must(err)
		say("  GetAt go/apple %d -> %s, now %s", redAt, old, get(txn, "go/apple"))
		expect("go/apple back then", string(old), "red")
		return nil
	}))

	say("== an async commit (CommitAsync)")
	txn, err = db.Begin(skv.ReadWrite)
	must(err)
	must(txn.Set([]byte("go/elderberry"), []byte("purple")))
	done := txn.CommitAsync() // returns at once; the result arrives on the channel
	must(<-done)
	must(db.View(func(txn *skv.Txn) error {
		expect("go/elderberry", get(txn, "go/elderberry"), "purple")
		return nil
	}))
	say("  committed go/elderberry = purple")

	say("== a note for the next tours")
	if !slices.Contains(langs, lang) {
		langs = append(langs, lang)
	}
	must(db.Update(func(txn *skv.Txn) error {
		if err := txn.Set([]byte("tour/red-at/"+lang), []byte(ts)); err != nil {
			return err
		}
		return txn.Set([]byte("tour/langs"), []byte(strings.Join(langs, " ")))
	}))
	say("  tour/red-at/%s = %d and tour/langs = %s", lang, redAt, strings.Join(langs, " "))

	say("== a checkpoint next to the database folder")
	abs, err := filepath.Abs(dir)
	must(err)
	copyDir := abs + "-checkpoint"
	must(os.RemoveAll(copyDir))
	must(db.Checkpoint(copyDir))
	cp, err := skv.Open(copyDir, skv.WithOption("enable_versioning", "true"))
	must(err)
	must(cp.View(func(txn *skv.Txn) error {
		expect("go/elderberry in the checkpoint", get(txn, "go/elderberry"), "purple")
		return nil
	}))
	must(cp.Close())
	say("  checkpoint in %s opens and holds go/elderberry", copyDir)

	say("== the integrity check")
	report, err := db.Check()
	must(err)
	lines := strings.Split(strings.TrimSpace(report), "\n")
	say("  %s", lines[len(lines)-1])
	must(db.Close())
	say("tour complete: %s", dir)
}
