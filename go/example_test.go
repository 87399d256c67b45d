// example_test.go — runnable examples for the package documentation (go test checks their
// output).

package skv_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	skv "github.com/skvdb/skv/go"
)

// tempDir returns a fresh directory for an example's database; remove it when done.
func tempDir() string {
	dir, err := os.MkdirTemp("", "skv-example-")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

func Example() {
	dir := tempDir()
	defer os.RemoveAll(dir)

	db, err := skv.Open(filepath.Join(dir, "hello.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	err = db.Update(func(txn *skv.Txn) error {
		return txn.Set([]byte("greeting"), []byte("hello, world"))
	})
	if err != nil {
		log.Fatal(err)
	}

	err = db.View(func(txn *skv.Txn) error {
		v, err := txn.Get([]byte("greeting"))
		if err != nil {
			return err
		}
		fmt.Println(string(v))
		_, err = txn.Get([]byte("missing"))
		fmt.Println(errors.Is(err, skv.ErrNotFound))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// hello, world
	// true
}

func ExampleOpen() {
	dir := tempDir()
	defer os.RemoveAll(dir)

	db, err := skv.Open(filepath.Join(dir, "tuned.db"),
		skv.WithOption("max_memtable_size", "8388608"),
		skv.WithOption("compression", "none,zstd"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	_, err = skv.Open(filepath.Join(dir, "bad.db"), skv.WithOption("block_size", "huge"))
	var e *skv.Error
	fmt.Println(errors.As(err, &e), e.Code)
	// Output:
	// true SKV_EINVAL
}

func ExampleDB_Update() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"))
	defer db.Close()

	// A transfer between two accounts, retried when another transaction won a conflict.
	db.Update(func(txn *skv.Txn) error {
		txn.Set([]byte("alice"), []byte("100"))
		return txn.Set([]byte("bob"), []byte("0"))
	})
	for {
		err := db.Update(func(txn *skv.Txn) error {
			if err := txn.Set([]byte("alice"), []byte("60")); err != nil {
				return err
			}
			return txn.Set([]byte("bob"), []byte("40"))
		})
		if errors.Is(err, skv.ErrConflict) || errors.Is(err, skv.ErrRetry) {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		break
	}
	db.View(func(txn *skv.Txn) error {
		for k, v := range txn.Range(nil, nil) {
			fmt.Printf("%s=%s\n", k, v)
		}
		return txn.Err()
	})
	// Output:
	// alice=60
	// bob=40
}

func ExampleTxn_Range() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"))
	defer db.Close()
	db.Update(func(txn *skv.Txn) error {
		for _, name := range []string{"ann", "bea", "cid", "dan", "eve"} {
			txn.Set([]byte("user:"+name), []byte(name))
		}
		return txn.Set([]byte("zone:eu"), []byte("1"))
	})

	txn, _ := db.Begin(skv.ReadOnly)
	defer txn.Rollback()
	// Keys with the prefix "user:", from the largest down, at most three.
	for k := range txn.Range([]byte("user:"), []byte("user;"), skv.Reverse(), skv.Limit(3)) {
		fmt.Println(string(k))
	}
	if err := txn.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// user:eve
	// user:dan
	// user:cid
}

func ExampleTxn_NewIterator() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"))
	defer db.Close()
	db.Update(func(txn *skv.Txn) error {
		for i := 1; i <= 5; i++ {
			txn.Set([]byte(fmt.Sprintf("k%d", i)), []byte(fmt.Sprint(i*i)))
		}
		return nil
	})

	txn, _ := db.Begin(skv.ReadOnly)
	defer txn.Rollback()
	it, err := txn.NewIterator(nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	for ok := it.Seek([]byte("k3")); ok; ok = it.Next() {
		fmt.Printf("%s=%s\n", it.Key(), it.Value())
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
	// Many entries per call into the engine:
	it.First()
	batch, _ := it.NextBatch(2, 0)
	fmt.Println(len(batch), string(batch[0].Key), string(batch[1].Key))
	// Output:
	// k3=9
	// k4=16
	// k5=25
	// 2 k1 k2
}

func ExampleTxn_CommitAsync() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"))
	defer db.Close()

	var pending []<-chan error
	for i := 0; i < 3; i++ {
		txn, _ := db.Begin(skv.WriteOnly)
		txn.Set([]byte(fmt.Sprintf("event:%d", i)), []byte("logged"))
		pending = append(pending, txn.CommitAsync())
	}
	for _, done := range pending {
		if err := <-done; err != nil {
			log.Fatal(err)
		}
	}
	db.View(func(txn *skv.Txn) error {
		n := 0
		for range txn.Range([]byte("event:"), nil) {
			n++
		}
		fmt.Println(n, "events")
		return nil
	})
	// Output:
	// 3 events
}

func ExampleTxn_Savepoint() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"))
	defer db.Close()

	txn, _ := db.Begin(skv.ReadWrite)
	txn.Set([]byte("a"), []byte("kept"))
	txn.Savepoint()
	txn.Set([]byte("b"), []byte("dropped"))
	txn.RollbackToSavepoint()
	txn.Commit()

	db.View(func(txn *skv.Txn) error {
		for k, v := range txn.Range(nil, nil) {
			fmt.Printf("%s=%s\n", k, v)
		}
		return nil
	})
	// Output:
	// a=kept
}

func ExampleDB_Property() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"))
	defer db.Close()
	db.Update(func(txn *skv.Txn) error { return txn.Set([]byte("k"), []byte("v")) })
	db.Flush()
	files, _ := db.Property("level-files")
	fmt.Println(files)
	// Output:
	// 1 0 0 0 0 0 0
}

func ExampleTxn_History() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "db"), skv.WithOption("enable_versioning", "true"))
	defer db.Close()

	// Three versions of one key, at explicit timestamps (ns since the Unix epoch).
	for i, v := range []string{"draft", "review", "final"} {
		db.Update(func(txn *skv.Txn) error {
			return txn.SetAt([]byte("doc"), []byte(v), uint64(1000*(i+1)))
		})
	}
	db.Update(func(txn *skv.Txn) error { return txn.SoftDelete([]byte("doc")) })

	db.View(func(txn *skv.Txn) error {
		v, _ := txn.GetAt([]byte("doc"), 2500)
		fmt.Println("as of 2500:", string(v))
		_, err := txn.Get([]byte("doc"))
		fmt.Println("now:", err != nil)
		for e := range txn.History([]byte("doc"), nil, skv.TsTo(3000)) {
			fmt.Println(string(e.Key), e.Timestamp, e.Kind, string(e.Value))
		}
		return txn.Err()
	})
	// Output:
	// as of 2500: review
	// now: true
	// doc 3000 set final
	// doc 2000 set review
	// doc 1000 set draft
}

func ExampleDB_Checkpoint() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	db, _ := skv.Open(filepath.Join(dir, "live"))
	defer db.Close()
	db.Update(func(txn *skv.Txn) error { return txn.Set([]byte("k"), []byte("before")) })

	backup := filepath.Join(dir, "backup")
	if err := db.Checkpoint(backup); err != nil {
		log.Fatal(err)
	}
	db.Update(func(txn *skv.Txn) error { return txn.Set([]byte("k"), []byte("after")) })

	if err := db.Restore(backup); err != nil {
		log.Fatal(err)
	}
	db.View(func(txn *skv.Txn) error {
		v, _ := txn.Get([]byte("k"))
		fmt.Println(string(v))
		return nil
	})
	report, err := db.Check()
	fmt.Println(err == nil, strings.Contains(report, "clean, 0 problems"))
	// Output:
	// before
	// true true
}
