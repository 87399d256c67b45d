// hello — a program outside the skv module that uses the Go package: it stores a few
// greetings, reads one back, lists them in reverse and shows how a write conflict looks.
//
//	go run . [dbdir]
package main

import (
	"errors"
	"fmt"
	"log"
	"os"

	skv "github.com/skvdb/skv/go"
)

func main() {
	dir := "hello.db"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	db, err := skv.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	fmt.Printf("skv %s (ABI %d)\n", skv.Version(), skv.ABIVersion())

	err = db.Update(func(txn *skv.Txn) error {
		for lang, text := range map[string]string{"en": "hello", "fr": "bonjour", "de": "hallo"} {
			if err := txn.Set([]byte("greeting:"+lang), []byte(text)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	err = db.View(func(txn *skv.Txn) error {
		v, err := txn.Get([]byte("greeting:fr"))
		if err != nil {
			return err
		}
		fmt.Printf("fr: %s\n", v)
		for k, v := range txn.Range([]byte("greeting:"), []byte("greeting;"), skv.Reverse()) {
			fmt.Printf("%s = %s\n", k, v)
		}
		return txn.Err()
	})
	if err != nil {
		log.Fatal(err)
	}

	// Two transactions write the same key: the first to commit wins.
	a, _ := db.Begin(skv.ReadWrite)
	b, _ := db.Begin(skv.ReadWrite)
	a.Set([]byte("greeting:en"), []byte("hi"))
	b.Set([]byte("greeting:en"), []byte("hey"))
	fmt.Println("first commit:", a.Commit())
	err = b.Commit()
	fmt.Println("second commit conflicts:", errors.Is(err, skv.ErrConflict))
}
