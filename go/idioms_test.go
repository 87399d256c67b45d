// idioms_test.go — the Go idioms of the package: a DB shared by many goroutines, transactions
// and iterators moving between goroutines, loops that break early or panic, finalizers, the
// error values, contexts and asynchronous commits. Run with -race.

package skv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	skv "github.com/skvdb/skv/go"
)

func openDB(t *testing.T, opts ...skv.Option) *skv.DB {
	t.Helper()
	db, err := skv.Open(t.TempDir()+"/db", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func key(i int) []byte { return []byte(fmt.Sprintf("k%05d", i)) }

func fill(t *testing.T, db *skv.DB, n int) {
	t.Helper()
	if err := db.Update(func(txn *skv.Txn) error {
		for i := 0; i < n; i++ {
			if err := txn.Set(key(i), []byte(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Many goroutines increment one counter; conflicts are retried, so no increment is lost.
func TestGoroutinesShareDBCounter(t *testing.T) {
	db := openDB(t)
	const workers, each = 8, 40
	var wg sync.WaitGroup
	var conflicts sync.Map
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for {
					err := db.Update(func(txn *skv.Txn) error {
						n := 0
						v, err := txn.Get([]byte("counter"))
						if err == nil {
							fmt.Sscan(string(v), &n)
						} else if !errors.Is(err, skv.ErrNotFound) {
							return err
						}
						return txn.Set([]byte("counter"), []byte(fmt.Sprint(n+1)))
					})
					if errors.Is(err, skv.ErrConflict) || errors.Is(err, skv.ErrRetry) {
						conflicts.Store(w, true)
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		}(w)
	}
	wg.Wait()
	err := db.View(func(txn *skv.Txn) error {
		v, err := txn.Get([]byte("counter"))
		if err == nil && string(v) != fmt.Sprint(workers*each) {
			return fmt.Errorf("counter = %s, want %d", v, workers*each)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Writers on disjoint keys and readers of consistent snapshots run at once.
func TestGoroutinesShareDBSnapshots(t *testing.T) {
	db := openDB(t)
	const writers, rounds = 4, 30
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Each writer keeps the pair a<w> and b<w> equal; readers must never see them differ.
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 1; r <= rounds; r++ {
				err := db.Update(func(txn *skv.Txn) error {
					v := []byte(fmt.Sprint(r))
					if err := txn.Set([]byte(fmt.Sprintf("a%d", w)), v); err != nil {
						return err
					}
					return txn.Set([]byte(fmt.Sprintf("b%d", w)), v)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	var readers sync.WaitGroup
	for r := 0; r < 4; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := db.View(func(txn *skv.Txn) error {
					seen := map[string][]byte{}
					for k, v := range txn.Range(nil, nil) {
						seen[string(k)] = v
					}
					if err := txn.Err(); err != nil {
						return err
					}
					for w := 0; w < writers; w++ {
						a, b := seen[fmt.Sprintf("a%d", w)], seen[fmt.Sprintf("b%d", w)]
						if !bytes.Equal(a, b) {
							return fmt.Errorf("torn snapshot: a%d=%q b%d=%q", w, a, w, b)
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
}

// A transaction and an iterator are handed from goroutine to goroutine; no thread locking.
func TestTxnAndIteratorMoveBetweenGoroutines(t *testing.T) {
	db := openDB(t)
	fill(t, db, 10)
	txn, err := db.Begin(skv.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	// Four goroutines each take the transaction, write, and hand it on; the last commits.
	type baton struct {
		txn *skv.Txn
		hop int
	}
	hand := make(chan baton)
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			b := <-hand
			runtime.Gosched()
			err := b.txn.Set([]byte(fmt.Sprintf("moved%d", b.hop)), []byte("yes"))
			if err == nil && b.hop == 3 {
				err = b.txn.Commit()
			}
			done <- err
			if b.hop < 3 {
				hand <- baton{b.txn, b.hop + 1}
			}
		}()
	}
	hand <- baton{txn, 0}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	rd, _ := db.Begin(skv.ReadOnly)
	defer rd.Rollback()
	it, err := rd.NewIterator([]byte("k"), []byte("l"))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var keys []string
	for g := 0; g < 10; g++ {
		ch := make(chan bool)
		go func() {
			ok := it.Next()
			if ok {
				keys = append(keys, string(it.Key()))
			}
			ch <- ok
		}()
		if !<-ch {
			t.Fatalf("step %d: %v", g, it.Err())
		}
	}
	if len(keys) != 10 || keys[0] != "k00000" || keys[9] != "k00009" {
		t.Fatalf("keys %v", keys)
	}
	for g := 0; g < 4; g++ {
		v, err := rd.Get([]byte(fmt.Sprintf("moved%d", g)))
		if err != nil || string(v) != "yes" {
			t.Fatalf("moved%d: %q %v", g, v, err)
		}
	}
}

// Breaking out of a Range releases its iterator: the loop yields exactly what was asked,
// the transaction goes on, and a panicking loop body leaves everything usable.
func TestRangeEarlyBreakAndPanic(t *testing.T) {
	db := openDB(t)
	fill(t, db, 1000)
	txn, _ := db.Begin(skv.ReadWrite)
	defer txn.Rollback()
	for round := 0; round < 200; round++ { // many early breaks on one transaction
		n := 0
		for k := range txn.Range(nil, nil) {
			if !bytes.Equal(k, key(n)) {
				t.Fatalf("key %d = %s", n, k)
			}
			n++
			if n == 1+round%20 {
				break
			}
		}
		if n != 1+round%20 || txn.Err() != nil {
			t.Fatalf("round %d: %d entries, err %v", round, n, txn.Err())
		}
	}
	func() {
		defer func() {
			if r := recover(); r != "stop" {
				t.Fatalf("recovered %v", r)
			}
		}()
		for range txn.Range(nil, nil, skv.Reverse()) {
			panic("stop")
		}
	}()
	if err := txn.Set([]byte("after"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	// The yielded slices are the caller's: they stay intact after the loop.
	var kept [][]byte
	db.View(func(txn *skv.Txn) error {
		for k, v := range txn.Range(key(0), key(3)) {
			kept = append(kept, k, v)
		}
		return nil
	})
	if got := string(bytes.Join(kept, []byte(","))); got != "k00000,0,k00001,1,k00002,2" {
		t.Fatalf("kept %s", got)
	}
}

// Range options against the explicit iterator, with batches of every shape.
func TestRangeOptions(t *testing.T) {
	db := openDB(t)
	fill(t, db, 300)
	txn, _ := db.Begin(skv.ReadOnly)
	defer txn.Rollback()
	collect := func(opts ...skv.RangeOption) (keys []string, vals []string) {
		for k, v := range txn.Range(key(10), key(250), opts...) {
			keys, vals = append(keys, string(k)), append(vals, string(v))
		}
		if err := txn.Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	fwd, vals := collect()
	if len(fwd) != 240 || fwd[0] != "k00010" || fwd[239] != "k00249" || vals[5] != "15" {
		t.Fatalf("forward: %d keys %v..", len(fwd), fwd[:2])
	}
	for _, b := range []skv.RangeOption{skv.BatchSize(1, 0), skv.BatchSize(7, 0), skv.BatchSize(0, 64), skv.BatchSize(0, 0)} {
		got, _ := collect(b)
		if strings.Join(got, ",") != strings.Join(fwd, ",") {
			t.Fatalf("batched range differs")
		}
	}
	rev, _ := collect(skv.Reverse())
	if len(rev) != 240 || rev[0] != "k00249" || rev[239] != "k00010" {
		t.Fatalf("reverse: %v", rev[:2])
	}
	lim, _ := collect(skv.Limit(17), skv.Reverse())
	if len(lim) != 17 || lim[16] != "k00233" {
		t.Fatalf("limit: %v", lim)
	}
	_, kv := collect(skv.KeysOnly(), skv.Limit(3))
	if strings.Join(kv, "") != "" || len(kv) != 3 {
		t.Fatalf("keys only: %q", kv)
	}
	// NextBatch and the moves agree with Range.
	it, _ := txn.NewIterator(key(10), key(250))
	defer it.Close()
	var viaBatch []string
	for {
		entries, err := it.NextBatch(50, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			viaBatch = append(viaBatch, string(e.Key))
		}
	}
	if strings.Join(viaBatch, ",") != strings.Join(fwd, ",") {
		t.Fatalf("NextBatch differs")
	}
	var viaMoves []string
	for ok := it.Last(); ok; ok = it.Prev() {
		viaMoves = append(viaMoves, string(it.Key()))
	}
	if err := it.Err(); err != nil || strings.Join(viaMoves, ",") != strings.Join(rev, ",") {
		t.Fatalf("moves differ: %v", err)
	}
	if !it.Seek([]byte("k00100")) || string(it.Value()) != "100" {
		t.Fatalf("seek: %s %v", it.Key(), it.Err())
	}
	n := 0
	for k := range it.All() { // from the current entry on
		if n == 0 && string(k) != "k00100" {
			t.Fatalf("All starts at %s", k)
		}
		n++
	}
	if n != 150 {
		t.Fatalf("All gave %d", n)
	}
}

// Scan: early stop, limit, copies that may be kept, and a panic raised again after the scan.
func TestScan(t *testing.T) {
	db := openDB(t)
	fill(t, db, 50)
	txn, _ := db.Begin(skv.ReadWrite)
	defer txn.Rollback()
	var got []string
	err := txn.Scan(key(5), nil, func(k, v []byte) bool {
		got = append(got, string(k)+"="+string(v))
		return len(got) < 3
	})
	if err != nil || strings.Join(got, " ") != "k00005=5 k00006=6 k00007=7" {
		t.Fatalf("%v %v", got, err)
	}
	got = nil
	txn.Scan(nil, nil, func(k, v []byte) bool { got = append(got, string(k)); return true }, skv.Limit(4), skv.Reverse())
	if strings.Join(got, " ") != "k00049 k00048 k00047 k00046" {
		t.Fatalf("%v", got)
	}
	// Inside the scan the transaction is busy: a call on it fails instead of deadlocking.
	var inner error
	txn.Scan(nil, nil, func(k, v []byte) bool { _, inner = txn.Get(k); return false })
	if !errors.Is(inner, skv.ErrBusy) {
		t.Fatalf("inner call: %v", inner)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v", r)
			}
		}()
		txn.Scan(nil, nil, func(k, v []byte) bool { panic("boom") })
	}()
	if _, err := txn.Get(key(1)); err != nil {
		t.Fatalf("after panic: %v", err)
	}
}

// Transactions, iterators and databases dropped without ending are released by finalizers;
// handles used after their database closed answer ErrClosed.
func TestFinalizers(t *testing.T) {
	dir := t.TempDir() + "/db"
	func() {
		db, err := skv.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, db, 100)
		for i := 0; i < 200; i++ {
			txn, err := db.Begin(skv.ReadWrite)
			if err != nil {
				t.Fatal(err)
			}
			txn.Set([]byte("dropped"), []byte("never committed"))
			it, err := txn.NewIterator(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			it.Next()
		}
		if _, err := skv.Open(dir); !errors.Is(err, skv.ErrLocked) {
			t.Fatalf("second open: %v", err)
		}
		// db is dropped here without Close.
	}()
	var db *skv.DB
	var err error
	for i := 0; i < 50; i++ {
		runtime.GC()
		if db, err = skv.Open(dir); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the dropped DB was not closed by its finalizer: %v", err)
	}
	defer db.Close()
	db.View(func(txn *skv.Txn) error {
		if _, err := txn.Get([]byte("dropped")); !errors.Is(err, skv.ErrNotFound) {
			t.Errorf("a dropped transaction committed: %v", err)
		}
		if v, err := txn.Get(key(99)); err != nil || string(v) != "99" {
			t.Errorf("k99: %q %v", v, err)
		}
		return nil
	})

	// Children outliving their database: clean errors, then finalizers without a crash.
	db2 := openDB(t)
	fill(t, db2, 10)
	txn, _ := db2.Begin(skv.ReadWrite)
	it, _ := txn.NewIterator(nil, nil)
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := txn.Get(key(1)); !errors.Is(err, skv.ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	if it.Next() || !errors.Is(it.Err(), skv.ErrClosed) {
		t.Fatalf("next after close: %v", it.Err())
	}
	if _, err := db2.Begin(skv.ReadOnly); !errors.Is(err, skv.ErrClosed) {
		t.Fatalf("begin after close: %v", err)
	}
	txn, it = nil, nil
	runtime.GC()
	runtime.GC()
}

func TestErrors(t *testing.T) {
	db := openDB(t)
	txn, _ := db.Begin(skv.ReadOnly)
	err := txn.Set([]byte("k"), []byte("v"))
	var e *skv.Error
	if !errors.As(err, &e) || e.Code != "SKV_EREADONLY" || e.Number != -10 || e.Op != "Set" || e.Detail == "" {
		t.Fatalf("%#v", err)
	}
	if !errors.Is(err, skv.ErrReadOnly) || errors.Is(err, skv.ErrClosed) {
		t.Fatalf("errors.Is")
	}
	if want := "skv: Set: transaction is read-only (SKV_EREADONLY): "; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message %q", err.Error())
	}
	wrapped := fmt.Errorf("saving: %w", err)
	if !errors.Is(wrapped, skv.ErrReadOnly) {
		t.Fatal("wrapped")
	}
	txn.Rollback()
	if err := txn.Commit(); !errors.Is(err, skv.ErrClosed) {
		t.Fatalf("commit after rollback: %v", err)
	}
	if err := txn.Rollback(); err != nil {
		t.Fatalf("second rollback: %v", err)
	}
	if err := skv.CheckOptions(skv.WithOption("block_size", "4096"), skv.WithOption("no_such_option", "1")); !errors.Is(err, skv.ErrInvalid) || !strings.Contains(err.Error(), "no_such_option") {
		t.Fatalf("options: %v", err)
	}
	if s, ok := skv.LookupError("SKV_ECONFLICT"); !ok || s != skv.ErrConflict {
		t.Fatal("LookupError")
	}
	if _, ok := skv.LookupError("SKV_OK"); ok {
		t.Fatal("LookupError(SKV_OK)")
	}
	if skv.ErrorName(-7) != "SKV_ECONFLICT" || skv.ErrorName(12345) != "SKV_UNKNOWN" {
		t.Fatal("ErrorName")
	}
	wo, _ := db.Begin(skv.WriteOnly)
	defer wo.Rollback()
	for range wo.Range(nil, nil) {
		t.Fatal("a write-only transaction ranged")
	}
	if !errors.Is(wo.Err(), skv.ErrWriteOnly) {
		t.Fatalf("range on write-only: %v", wo.Err())
	}
}

// Asynchronous commits from many goroutines; Close delivers every pending result.
func TestCommitAsync(t *testing.T) {
	db := openDB(t)
	const n = 64
	chans := make([]<-chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			txn, err := db.Begin(skv.WriteOnly)
			if err != nil {
				t.Error(err)
				return
			}
			txn.Set(key(i), []byte("async"))
			chans[i] = txn.CommitAsync()
		}(i)
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("commit %d: %v", i, err)
			}
		default:
			t.Fatalf("commit %d: no result after Close", i)
		}
	}
	// An immediate failure arrives on the channel too.
	db2 := openDB(t)
	ro, _ := db2.Begin(skv.ReadOnly)
	if err := <-ro.CommitAsync(); !errors.Is(err, skv.ErrReadOnly) {
		t.Fatalf("read-only async commit: %v", err)
	}
	// Conflicts are reported through the channel.
	a, _ := db2.Begin(skv.ReadWrite)
	b, _ := db2.Begin(skv.ReadWrite)
	a.Set([]byte("x"), []byte("a"))
	b.Set([]byte("x"), []byte("b"))
	if err := <-a.CommitAsync(); err != nil {
		t.Fatal(err)
	}
	if err := <-b.CommitAsync(); !errors.Is(err, skv.ErrConflict) {
		t.Fatalf("conflict: %v", err)
	}
}

func TestContexts(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.UpdateContext(ctx, func(txn *skv.Txn) error { return txn.Set([]byte("a"), []byte("1")) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled update: %v", err)
	}
	txn, _ := db.Begin(skv.ReadWrite)
	txn.Set([]byte("b"), []byte("1"))
	if err := txn.CommitContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled commit: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := db.UpdateContext(ctx2, func(txn *skv.Txn) error {
		txn.SetDurability(skv.Immediate)
		return txn.Set([]byte("c"), []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	db.View(func(txn *skv.Txn) error {
		for k, want := range map[string]error{"a": skv.ErrNotFound, "b": skv.ErrNotFound, "c": nil} {
			if _, err := txn.Get([]byte(k)); !errors.Is(err, want) && err != want {
				t.Errorf("%s: %v, want %v", k, err, want)
			}
		}
		return nil
	})
	// Update rolls back on error and on panic.
	sentinel := errors.New("no")
	if err := db.Update(func(txn *skv.Txn) error { txn.Set([]byte("d"), nil); return sentinel }); err != sentinel {
		t.Fatal(err)
	}
	func() {
		defer func() { recover() }()
		db.Update(func(txn *skv.Txn) error { txn.Set([]byte("e"), nil); panic("x") })
	}()
	db.View(func(txn *skv.Txn) error {
		for _, k := range []string{"d", "e"} {
			if _, err := txn.Get([]byte(k)); !errors.Is(err, skv.ErrNotFound) {
				t.Errorf("%s written by a failed Update: %v", k, err)
			}
		}
		return nil
	})
}

// A transaction serves one call at a time: concurrent misuse gives ErrBusy, never a crash.
func TestConcurrentMisuseOfOneTxn(t *testing.T) {
	db := openDB(t)
	fill(t, db, 100)
	txn, _ := db.Begin(skv.ReadWrite)
	var wg sync.WaitGroup
	var okCount, busy, closed sync.Map
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				var err error
				if g == 0 && i == 150 {
					for err = txn.Commit(); errors.Is(err, skv.ErrBusy); err = txn.Commit() {
					}
				} else {
					_, err = txn.Get(key(i % 100))
				}
				switch {
				case err == nil:
					okCount.Store(g, true)
				case errors.Is(err, skv.ErrBusy):
					busy.Store(g, true)
				case errors.Is(err, skv.ErrClosed):
					closed.Store(g, true)
				default:
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	if _, err := txn.Get(key(1)); !errors.Is(err, skv.ErrClosed) {
		t.Fatalf("after commit: %v", err)
	}
}
