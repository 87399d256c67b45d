// bench_test.go — the Go package against Pebble and bbolt in one run: point reads, one write
// per committed transaction, 1,000-entry ranges and parallel point reads, on the same data.
// After the benchmarks, TestMain prints each store's time per operation relative to skv's.
//
// Setup, the same for the LSM trees: the keys are loaded 1,000 per batch, then compacted into
// one sorted run; no compression, 10-bit bloom filters and a 64 MiB block cache (skv's
// defaults, set on Pebble), no fsync per commit (skv's eventual durability, Pebble's NoSync,
// bbolt's NoSync). Every read returns a value the caller owns (a copy where the engine gives
// a view), as skv's Get does; ranges sum the bytes of the entries they visit.
//
//	go test -bench . -benchtime 2s        (make bench-go)
package bench

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	skv "github.com/skvdb/skv/go"
	bolt "go.etcd.io/bbolt"
)

var (
	numKeys   = flag.Int("keys", 200000, "keys loaded before the benchmarks")
	valueSize = flag.Int("value-size", 100, "bytes per value")
)

const keySize = 16

func makeKey(i int) []byte {
	k := make([]byte, keySize)
	copy(k, "key:")
	binary.BigEndian.PutUint64(k[8:], uint64(i)*2654435761%(1<<40)) // spread, unique
	return k
}

func makeValue(i int) []byte {
	v := make([]byte, *valueSize)
	for j := range v {
		v[j] = byte('a' + (i+j)%26)
	}
	return v
}

// store is one engine under test, loaded with the same keys.
type store interface {
	// reader returns a point reader and its release; each goroutine takes its own.
	reader() (get func(k []byte) []byte, release func())
	// put writes one key in one committed transaction (no fsync: the engines' default or
	// "eventual" durability).
	put(k, v []byte)
	// scan reads n entries from the first key >= lo and returns the bytes seen.
	scan(lo []byte, n int) int
	close()
}

var (
	root    string
	stores  = map[string]store{}
	loadErr error
	once    sync.Once
	keys    [][]byte
	results = map[string]map[string]float64{} // benchmark -> store -> ns/op
	resMu   sync.Mutex
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, s := range stores {
		s.close()
	}
	if root != "" {
		os.RemoveAll(root)
	}
	printRatios()
	os.Exit(code)
}

func setup(b *testing.B) {
	once.Do(func() {
		var err error
		if root, err = os.MkdirTemp("", "skv-go-bench-"); err != nil {
			loadErr = err
			return
		}
		keys = make([][]byte, *numKeys)
		for i := range keys {
			keys[i] = makeKey(i)
		}
		for name, open := range map[string]func(dir string) (store, error){
			"skv": openSkv, "pebble": openPebble, "bbolt": openBolt,
		} {
			s, err := open(filepath.Join(root, name))
			if err != nil {
				loadErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			stores[name] = s
		}
	})
	if loadErr != nil {
		b.Fatal(loadErr)
	}
}

func record(b *testing.B, bench, name string) {
	resMu.Lock()
	defer resMu.Unlock()
	if results[bench] == nil {
		results[bench] = map[string]float64{}
	}
	results[bench][name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

func printRatios() {
	if len(results) == 0 {
		return
	}
	var benches []string
	for k := range results {
		benches = append(benches, k)
	}
	sort.Strings(benches)
	fmt.Println("\nns/op and ratio to skv (below 1: faster than skv)")
	for _, bench := range benches {
		r := results[bench]
		line := []string{fmt.Sprintf("%-14s", bench)}
		for _, name := range []string{"skv", "pebble", "bbolt"} {
			if ns, ok := r[name]; ok {
				line = append(line, fmt.Sprintf("%s %9.0f ns/op (%.2fx)", name, ns, ns/r["skv"]))
			}
		}
		fmt.Println(strings.Join(line, "   "))
	}
	if g, ok := results["Get"]; ok && g["pebble"] > 0 {
		fmt.Printf("skv get / pebble get = %.2f (target: at most 1.5)\n", g["skv"]/g["pebble"])
	}
	if g, ok := results["Get"]; ok {
		if p, ok := results["ParallelGet"]; ok && p["skv"] > 0 {
			fmt.Printf("skv parallel-get throughput / single-goroutine = %.2f on %d cores\n",
				g["skv"]/p["skv"], runtime.GOMAXPROCS(0))
		}
	}
}

func forEachStore(b *testing.B, bench string, fn func(b *testing.B, s store)) {
	setup(b)
	for _, name := range []string{"skv", "pebble", "bbolt"} {
		s := stores[name]
		b.Run(name, func(b *testing.B) {
			fn(b, s)
			record(b, bench, name)
		})
	}
}

func BenchmarkGet(b *testing.B) {
	forEachStore(b, "Get", func(b *testing.B, s store) {
		get, release := s.reader()
		defer release()
		rng := rand.New(rand.NewPCG(1, 2))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if get(keys[rng.IntN(len(keys))]) == nil {
				b.Fatal("missing key")
			}
		}
	})
}

func BenchmarkParallelGet(b *testing.B) {
	forEachStore(b, "ParallelGet", func(b *testing.B, s store) {
		var seed sync.Mutex
		n := uint64(0)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			seed.Lock()
			n++
			rng := rand.New(rand.NewPCG(n, 7))
			seed.Unlock()
			get, release := s.reader()
			defer release()
			for pb.Next() {
				if get(keys[rng.IntN(len(keys))]) == nil {
					b.Error("missing key")
					return
				}
			}
		})
	})
}

func BenchmarkSetCommit(b *testing.B) {
	forEachStore(b, "SetCommit", func(b *testing.B, s store) {
		v := makeValue(0)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.put(makeKey(*numKeys+i), v) // new keys: the loaded ones stay as they are
		}
	})
}

func BenchmarkRange1000(b *testing.B) {
	forEachStore(b, "Range1000", func(b *testing.B, s store) {
		rng := rand.New(rand.NewPCG(3, 4))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if s.scan(keys[rng.IntN(len(keys))], 1000) == 0 {
				b.Fatal("empty range")
			}
		}
	})
}

// ---- skv ----

type skvStore struct{ db *skv.DB }

func openSkv(dir string) (store, error) {
	db, err := skv.Open(dir, skv.WithOption("compression", "none"))
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(keys); i += 1000 {
		err := db.Update(func(txn *skv.Txn) error {
			for j := i; j < i+1000 && j < len(keys); j++ {
				if err := txn.Set(keys[j], makeValue(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &skvStore{db}, db.Compact()
}

func (s *skvStore) reader() (func([]byte) []byte, func()) {
	txn, err := s.db.Begin(skv.ReadOnly)
	if err != nil {
		panic(err)
	}
	return func(k []byte) []byte {
		v, err := txn.Get(k)
		if err != nil {
			return nil
		}
		return v
	}, func() { txn.Rollback() }
}

func (s *skvStore) put(k, v []byte) {
	txn, err := s.db.Begin(skv.ReadWrite)
	if err == nil {
		if err = txn.Set(k, v); err == nil {
			err = txn.Commit()
		}
	}
	if err != nil {
		panic(err)
	}
}

func (s *skvStore) scan(lo []byte, n int) int {
	txn, err := s.db.Begin(skv.ReadOnly)
	if err != nil {
		panic(err)
	}
	defer txn.Rollback()
	total := 0
	for k, v := range txn.Range(lo, nil, skv.Limit(n)) {
		total += len(k) + len(v)
	}
	return total
}

func (s *skvStore) close() { s.db.Close() }

// ---- Pebble ----

type pebbleStore struct{ db *pebble.DB }

func openPebble(dir string) (store, error) {
	opts := &pebble.Options{Cache: pebble.NewCache(64 << 20)}
	opts.Levels = make([]pebble.LevelOptions, 7)
	for i := range opts.Levels {
		opts.Levels[i] = pebble.LevelOptions{FilterPolicy: bloom.FilterPolicy(10),
			Compression: pebble.NoCompression}
	}
	db, err := pebble.Open(dir, opts)
	opts.Cache.Unref() // the database holds its own reference
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(keys); i += 1000 {
		batch := db.NewBatch()
		for j := i; j < i+1000 && j < len(keys); j++ {
			batch.Set(keys[j], makeValue(j), nil)
		}
		if err := batch.Commit(pebble.NoSync); err != nil {
			return nil, err
		}
	}
	if err := db.Flush(); err != nil {
		return nil, err
	}
	return &pebbleStore{db}, db.Compact([]byte{0}, []byte{0xff}, true)
}

func (s *pebbleStore) reader() (func([]byte) []byte, func()) {
	return func(k []byte) []byte {
		v, closer, err := s.db.Get(k)
		if err != nil {
			return nil
		}
		out := append([]byte{}, v...) // a value the caller owns, as skv's Get returns
		closer.Close()
		return out
	}, func() {}
}

func (s *pebbleStore) put(k, v []byte) {
	if err := s.db.Set(k, v, pebble.NoSync); err != nil {
		panic(err)
	}
}

func (s *pebbleStore) scan(lo []byte, n int) int {
	it, err := s.db.NewIter(nil)
	if err != nil {
		panic(err)
	}
	defer it.Close()
	total := 0
	for ok := it.SeekGE(lo); ok && n > 0; ok = it.Next() {
		total += len(it.Key()) + len(it.Value())
		n--
	}
	return total
}

func (s *pebbleStore) close() { s.db.Close() }

// ---- bbolt ----

type boltStore struct{ db *bolt.DB }

var bucket = []byte("bench")

func openBolt(dir string) (store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o644, &bolt.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(keys); i += 10000 {
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			for j := i; j < i+10000 && j < len(keys); j++ {
				if err := bk.Put(keys[j], makeValue(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &boltStore{db}, nil
}

func (s *boltStore) reader() (func([]byte) []byte, func()) {
	tx, err := s.db.Begin(false)
	if err != nil {
		panic(err)
	}
	bk := tx.Bucket(bucket)
	return func(k []byte) []byte {
		v := bk.Get(k)
		if v == nil {
			return nil
		}
		return append([]byte{}, v...)
	}, func() { tx.Rollback() }
}

func (s *boltStore) put(k, v []byte) {
	err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, v) })
	if err != nil {
		panic(err)
	}
}

func (s *boltStore) scan(lo []byte, n int) int {
	total := 0
	s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(lo); k != nil && n > 0; k, v = c.Next() {
			total += len(k) + len(v)
			n--
		}
		return nil
	})
	return total
}

func (s *boltStore) close() { s.db.Close() }
