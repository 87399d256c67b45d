// timetravel_test.go — time travel and checkpoints through the Go API: history loops that
// break early, errors reported by Err, GetAt, and Check / CheckDir reports.

package skv_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	skv "github.com/skvdb/skv/go"
)

func TestHistory(t *testing.T) {
	db := openDB(t, skv.WithOption("enable_versioning", "true"))
	for round := 1; round <= 5; round++ {
		if err := db.Update(func(txn *skv.Txn) error {
			for i := 0; i < 20; i++ {
				if err := txn.SetAt(key(i), []byte(fmt.Sprint(round)), uint64(round*100)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	txn, _ := db.Begin(skv.ReadOnly)
	defer txn.Rollback()
	// Versions newest first per key; a loop that breaks early leaves the transaction usable.
	var got []string
	for e := range txn.History(key(3), key(5)) {
		got = append(got, fmt.Sprintf("%s@%d=%s/%s", e.Key, e.Timestamp, e.Value, e.Kind))
		if len(got) == 7 {
			break
		}
	}
	want := "k00003@500=5/set k00003@400=4/set k00003@300=3/set k00003@200=2/set k00003@100=1/set " +
		"k00004@500=5/set k00004@400=4/set"
	if strings.Join(got, " ") != want || txn.Err() != nil {
		t.Fatalf("%v %v", got, txn.Err())
	}
	n := 0
	for e := range txn.History(nil, nil, skv.TsFrom(200), skv.TsTo(300), skv.Reverse(), skv.Limit(5)) {
		if e.Timestamp < 200 || e.Timestamp > 300 {
			t.Fatalf("ts %d outside [200, 300]", e.Timestamp)
		}
		n++
	}
	if n != 5 {
		t.Fatalf("limit: %d versions", n)
	}
	if v, err := txn.GetAt(key(7), 250); err != nil || string(v) != "2" {
		t.Fatalf("GetAt: %q %v", v, err)
	}
	if _, err := txn.GetAt(key(7), 50); !errors.Is(err, skv.ErrNotFound) {
		t.Fatalf("GetAt before the first version: %v", err)
	}
	for range txn.History(nil, nil, skv.TsFrom(10), skv.TsTo(5)) {
		t.Fatal("a history with from > to yielded")
	}
	if !errors.Is(txn.Err(), skv.ErrInvalid) {
		t.Fatalf("from > to: %v", txn.Err())
	}
	// The explicit history iterator: moves, version, batches.
	it, err := txn.NewHistoryIterator(key(0), key(1))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !it.Last() {
		t.Fatal(it.Err())
	}
	if ts, kind := it.Version(); ts != 100 || kind != skv.KindSet {
		t.Fatalf("last version: %d %v", ts, kind)
	}
	it.First()
	batch, err := it.NextBatch(0, 0)
	if err != nil || len(batch) != 5 || string(batch[0].Value) != "5" {
		t.Fatalf("batch %v %v", batch, err)
	}
	// A plain iterator has no versions.
	plain, _ := txn.NewIterator(nil, nil)
	defer plain.Close()
	plain.First()
	if _, kind := plain.Version(); kind != 0 || !errors.Is(plain.Err(), skv.ErrInvalid) {
		t.Fatalf("Version on a plain iterator: %v", plain.Err())
	}
	// Without versioning: ErrNotSupported.
	plainDB := openDB(t)
	ptxn, _ := plainDB.Begin(skv.ReadOnly)
	defer ptxn.Rollback()
	if _, err := ptxn.GetAt(key(1), 1); !errors.Is(err, skv.ErrNotSupported) {
		t.Fatalf("GetAt without versioning: %v", err)
	}
	for range ptxn.History(nil, nil) {
		t.Fatal("history without versioning yielded")
	}
	if !errors.Is(ptxn.Err(), skv.ErrNotSupported) {
		t.Fatalf("History without versioning: %v", ptxn.Err())
	}
}

func TestCheckpointAndCheck(t *testing.T) {
	dir := t.TempDir()
	db, err := skv.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 500)
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	report, err := db.Check()
	if err != nil || !strings.Contains(report, "clean, 0 problems") {
		t.Fatalf("check: %v\n%s", err, report)
	}
	if err := db.Checkpoint(filepath.Join(dir, "db")); !errors.Is(err, skv.ErrInvalid) {
		t.Fatalf("checkpoint into the database itself: %v", err)
	}
	if err := db.Checkpoint(filepath.Join(dir, "copy")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Check(); !errors.Is(err, skv.ErrClosed) {
		t.Fatalf("check after close: %v", err)
	}
	if report, err := skv.CheckDir(filepath.Join(dir, "copy")); err != nil || !strings.Contains(report, "clean") {
		t.Fatalf("CheckDir: %v\n%s", err, report)
	}
	if _, err := skv.CheckDir(filepath.Join(dir, "nothing")); !errors.Is(err, skv.ErrNotFound) {
		t.Fatalf("CheckDir of a missing directory: %v", err)
	}
	// Damage a table of the copy: the check reports it, with the report naming the problem.
	tables, _ := filepath.Glob(filepath.Join(dir, "copy", "*.sst"))
	if len(tables) == 0 {
		entries, _ := os.ReadDir(filepath.Join(dir, "copy"))
		t.Fatalf("no table in the checkpoint: %v", entries)
	}
	data, _ := os.ReadFile(tables[0])
	data[len(data)/3] ^= 0xff
	os.WriteFile(tables[0], data, 0o644)
	report, err = skv.CheckDir(filepath.Join(dir, "copy"))
	if !errors.Is(err, skv.ErrCorrupt) || !strings.Contains(report, "problem:") {
		t.Fatalf("damaged copy: %v\n%s", err, report)
	}
}
