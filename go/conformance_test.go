// conformance_test.go — the Go runner of the shared conformance suite (tests/conformance/,
// format in its README): every case, step by step, through the package's public API (one
// step, one call), skipping only the cases listed with a reason in skip/go.txt.

package skv_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	skv "github.com/skvdb/skv/go"
)

const (
	conformanceDir    = "../tests/conformance/cases"
	conformanceSkips  = "../tests/conformance/skip/go.txt"
	conformanceSchema = "skv-conformance/1"
)

// step is one step of a case: its members, decoded on demand.
type step map[string]json.RawMessage

type caseFile struct {
	Schema string `json:"schema"`
	Cases  []struct {
		ID    string `json:"id"`
		Steps []step `json:"steps"`
	} `json:"cases"`
}

type dbSlot struct {
	db   *skv.DB
	open bool
	path string
	opts []skv.Option
}

// asyncState records what the done function of one CommitAsyncFunc saw.
type asyncState struct {
	txn        string
	returnedOK bool
	mu         sync.Mutex
	calls      int
	status     error
	done       chan struct{} // closed at the first call
}

type caseCtx struct {
	dir    string
	dbs    map[string]*dbSlot
	txns   map[string]*skv.Txn
	iters  map[string]*skv.Iterator
	vars   map[string]uint64
	asyncs []*asyncState
}

type stepError struct{ msg string }

func (e *stepError) Error() string { return e.msg }

func failf(format string, args ...any) error { return &stepError{fmt.Sprintf(format, args...)} }

func TestConformance(t *testing.T) {
	skips, err := readSkipList(conformanceSkips)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(conformanceDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files) // byte order of the paths relative to the cases directory
	passed, failed, skipped, total := 0, 0, 0, 0
	seen := map[string]bool{}
	// One line per case with -v (failures always), and the summary line in every run.
	report := func(line string) {
		if testing.Verbose() || !strings.HasPrefix(line, "ok ") {
			fmt.Println(line)
		}
	}
	for _, file := range files {
		var cf caseFile
		data, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(data, &cf)
		}
		if err == nil && cf.Schema != conformanceSchema {
			err = fmt.Errorf("schema %q, want %q", cf.Schema, conformanceSchema)
		}
		if err != nil {
			report(fmt.Sprintf("FAIL %s: %v", file, err))
			t.Errorf("%s: %v", file, err)
			failed++
			continue
		}
		for _, cs := range cf.Cases {
			total++
			if seen[cs.ID] {
				report(fmt.Sprintf("FAIL %s: duplicate case id", cs.ID))
				t.Errorf("%s: duplicate case id", cs.ID)
				failed++
				continue
			}
			seen[cs.ID] = true
			if reason, ok := skips[cs.ID]; ok {
				report(fmt.Sprintf("skip %s: %s", cs.ID, reason))
				skipped++
				continue
			}
			t.Run(cs.ID, func(t *testing.T) {
				if where, msg := runCase(cs.Steps); where != "" {
					report(fmt.Sprintf("FAIL %s: %s: %s", cs.ID, where, msg))
					t.Errorf("%s: %s", where, msg)
					failed++
				} else {
					report("ok " + cs.ID)
					passed++
				}
			})
		}
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if want := total - len(skips); passed < want {
		t.Errorf("%d cases passed, want at least %d (%d cases, %d in the skip list)", passed, want,
			total, len(skips))
	}
}

func readSkipList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	skips := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: skipped case %s has no reason", path, n, id)
		}
		skips[id] = strings.TrimSpace(reason)
	}
	return skips, sc.Err()
}

// runCase runs the steps in a fresh directory, then cleans up; it returns where and why the
// case failed, or "" when it passed.
func runCase(steps []step) (where, msg string) {
	dir, err := os.MkdirTemp("", "skv-conformance-go-")
	if err != nil {
		return "step 0 (none)", err.Error()
	}
	defer os.RemoveAll(dir)
	c := &caseCtx{dir: dir, dbs: map[string]*dbSlot{}, txns: map[string]*skv.Txn{},
		iters: map[string]*skv.Iterator{}, vars: map[string]uint64{}}
	for i, s := range steps {
		op := s.str("op")
		fn, ok := ops[op]
		var err error
		if !ok {
			err = failf("bad case: unknown op '%s'", op)
		} else {
			err = fn(c, s)
		}
		if err != nil {
			where, msg = fmt.Sprintf("step %d (%s)", i+1, op), err.Error()
			break
		}
	}
	if err := c.cleanup(); err != nil && where == "" {
		where, msg = "step cleanup", err.Error()
	}
	return where, msg
}

// cleanup releases every iterator, then every transaction, closes every database, and checks
// the async-commit rules.
func (c *caseCtx) cleanup() error {
	for _, it := range c.iters {
		it.Close()
	}
	for _, txn := range c.txns {
		txn.Rollback()
	}
	for _, d := range c.dbs {
		if d.open {
			d.db.Close()
		}
	}
	for _, a := range c.asyncs {
		a.mu.Lock()
		calls := a.calls
		a.mu.Unlock()
		if a.returnedOK && calls != 1 {
			return failf("expected the callback of txn '%s' to run exactly once, got %d", a.txn, calls)
		}
		if !a.returnedOK && calls != 0 {
			return failf("expected no callback for txn '%s' (commit_async failed), got %d", a.txn, calls)
		}
	}
	return nil
}

// ---- decoding members ----

func (s step) has(name string) bool { _, ok := s[name]; return ok }

func (s step) str(name string) string {
	var v string
	if raw, ok := s[name]; ok {
		json.Unmarshal(raw, &v)
	}
	return v
}

// u64 decodes a non-negative integer given as a JSON number or a decimal string.
func (s step) u64(name string) (uint64, error) {
	raw, ok := s[name]
	if !ok {
		return 0, failf("bad case: missing '%s'", name)
	}
	return rawU64(raw, name)
}

func rawU64(raw json.RawMessage, name string) (uint64, error) {
	text := strings.TrimSpace(string(raw))
	if strings.HasPrefix(text, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, failf("bad case: bad '%s'", name)
		}
		text = str
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, failf("bad case: bad '%s'", name)
	}
	return v, nil
}

// decodeBytes decodes a byte string: "text", {"hex": ...} or {"repeat": ..., "count": n}.
func decodeBytes(raw json.RawMessage, what string) ([]byte, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		return append([]byte{}, text...), nil // non-nil, also when empty
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, failf("bad case: %s is not a byte string", what)
	}
	if h, ok := obj["hex"]; ok {
		var hs string
		json.Unmarshal(h, &hs)
		b, err := hex.DecodeString(hs)
		if err != nil {
			return nil, failf("bad case: %s: bad hex", what)
		}
		return append([]byte{}, b...), nil
	}
	if r, ok := obj["repeat"]; ok {
		var hs string
		json.Unmarshal(r, &hs)
		pat, err := hex.DecodeString(hs)
		if err != nil || len(pat) == 0 {
			return nil, failf("bad case: %s: bad repeat pattern", what)
		}
		n, err := rawU64(obj["count"], "count")
		if err != nil || n > 1<<32 {
			return nil, failf("bad case: %s: bad repeat count", what)
		}
		return bytes.Repeat(pat, int(n)), nil
	}
	return nil, failf("bad case: %s is not a byte string", what)
}

func (s step) bytes(name string) ([]byte, error) {
	raw, ok := s[name]
	if !ok {
		return nil, failf("bad case: missing '%s'", name)
	}
	return decodeBytes(raw, name)
}

// optBytes returns nil (absent) or the byte string.
func (s step) optBytes(name string) ([]byte, bool, error) {
	raw, ok := s[name]
	if !ok {
		return nil, false, nil
	}
	b, err := decodeBytes(raw, name)
	return b, true, err
}

// options decodes an "options" object in document order.
func (s step) options(name string) ([]skv.Option, error) {
	raw, ok := s[name]
	if !ok {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, failf("bad case: '%s' must be an object", name)
	}
	var opts []skv.Option
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, failf("bad case: bad '%s'", name)
		}
		val, err := dec.Token()
		sval, isStr := val.(string)
		if err != nil || !isStr {
			return nil, failf("bad case: option '%v' must have a string value", key)
		}
		opts = append(opts, skv.WithOption(key.(string), sval))
	}
	return opts, nil
}

// expectSet decodes an expectation ("NAME" or ["NAME", ...]); absent is SKV_OK.
func (s step) expectSet(name string) ([]string, error) {
	raw, ok := s[name]
	if !ok {
		return []string{"SKV_OK"}, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, nil
	}
	return nil, failf("bad case: bad %s", name)
}

// codeOf is the error name of a package result.
func codeOf(err error) string {
	if err == nil {
		return "SKV_OK"
	}
	var e *skv.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "not an *skv.Error: " + err.Error()
}

func matchExpect(want []string, got string) error {
	for _, w := range want {
		if w == got {
			return nil
		}
	}
	if len(want) > 1 {
		return failf("expected one of %s, got %s", strings.Join(want, "/"), got)
	}
	return failf("expected %s, got %s", want[0], got)
}

// checkRC compares a result with the step's "expect".
func (s step) checkRC(err error) error {
	want, e := s.expectSet("expect")
	if e != nil {
		return e
	}
	return matchExpect(want, codeOf(err))
}

func show(b []byte) string {
	printable := len(b) <= 64
	for _, ch := range b {
		if ch < 0x20 || ch > 0x7e || ch == '"' {
			printable = false
		}
	}
	if printable {
		return `"` + string(b) + `"`
	}
	if len(b) > 24 {
		return fmt.Sprintf("hex:%x...(%d bytes)", b[:24], len(b))
	}
	return fmt.Sprintf("hex:%x", b)
}

// ---- handles ----

func (c *caseCtx) db(s step) (*dbSlot, error) {
	name := s.str("db")
	if d, ok := c.dbs[name]; ok {
		return d, nil
	}
	return nil, failf("bad case: db '%s' is not bound", name)
}

func (c *caseCtx) txn(s step) (*skv.Txn, error) {
	name := s.str("txn")
	if t, ok := c.txns[name]; ok {
		return t, nil
	}
	return nil, failf("bad case: txn '%s' is not bound", name)
}

func (c *caseCtx) iter(s step) (*skv.Iterator, error) {
	name := s.str("iter")
	if it, ok := c.iters[name]; ok {
		return it, nil
	}
	return nil, failf("bad case: iter '%s' is not bound", name)
}

func (c *caseCtx) casePath(rel string) (string, error) {
	if rel == "" || strings.Contains(rel, "..") || strings.HasPrefix(rel, "/") {
		return "", failf("bad case: bad path '%s'", rel)
	}
	return filepath.Join(c.dir, rel), nil
}

// ---- ops ----

type opFunc func(c *caseCtx, s step) error

var ops map[string]opFunc

func init() {
	ops = map[string]opFunc{
		"version": opVersion, "errname": opErrname, "options": opOptions,
		"open": opOpen, "close": opClose, "reopen": opReopen, "property": opProperty,
		"sync":    dbCall(func(db *skv.DB) error { return db.Sync() }),
		"flush":   dbCall(func(db *skv.DB) error { return db.Flush() }),
		"compact": dbCall(func(db *skv.DB) error { return db.Compact() }),
		"begin":   opBegin, "set_durability": opSetDurability,
		"set": opSet, "set_at": opSetAt, "delete": opDelete, "soft_delete": opSoftDelete,
		"replace": opReplace, "get": opGet,
		"savepoint":             txnCall(func(t *skv.Txn) error { return t.Savepoint() }),
		"rollback_to_savepoint": txnCall(func(t *skv.Txn) error { return t.RollbackToSavepoint() }),
		"commit":                txnCall(func(t *skv.Txn) error { return t.Commit() }),
		"rollback":              txnCall(func(t *skv.Txn) error { return t.Rollback() }),
		"commit_async":          opCommitAsync, "await_commit": opAwaitCommit, "txn_free": opTxnFree,
		"iter_open": opIterOpen, "iter_first": iterMove((*skv.Iterator).First),
		"iter_last": iterMove((*skv.Iterator).Last), "iter_next": iterMove((*skv.Iterator).Next),
		"iter_prev": iterMove((*skv.Iterator).Prev), "iter_seek": opIterSeek,
		"iter_key": opIterKey, "iter_value": opIterValue, "iter_free": opIterFree,
		"collect": opCollect, "scan": opScan,
		"checkpoint": opCheckpoint, "restore": opRestore, "check": opCheck,
		"get_at": opGetAt, "history": opHistory, "history_open": opHistoryOpen,
		"iter_version": opIterVersion,
	}
}

func opVersion(c *caseCtx, s step) error {
	if s.has("abi") {
		want, err := s.u64("abi")
		if err != nil {
			return err
		}
		if got := skv.ABIVersion(); uint64(got) != want {
			return failf("expected abi %d, got %d", want, got)
		}
	}
	if s.has("number") {
		want, err := s.u64("number")
		if err != nil {
			return err
		}
		if got := skv.VersionNumber(); uint64(got) != want {
			return failf("expected number %d, got %d", want, got)
		}
	}
	if s.has("string") {
		if want, got := s.str("string"), skv.Version(); got != want {
			return failf("expected string \"%s\", got \"%s\"", want, got)
		}
	}
	return nil
}

func opErrname(c *caseCtx, s step) error {
	name := s.str("name")
	var code int
	if s.has("code") {
		if err := json.Unmarshal(s["code"], &code); err != nil {
			return failf("bad case: bad 'code'")
		}
	} else {
		sentinel, ok := skv.LookupError(name)
		if !ok {
			if name != "SKV_OK" {
				return failf("bad case: unknown error name '%s'", name)
			}
		} else {
			code = sentinel.Number
		}
	}
	if got := skv.ErrorName(code); got != name {
		return failf("expected %s, got %s", name, got)
	}
	if skv.ErrorText(code) == "" {
		return failf("expected a strerror text, got an empty one")
	}
	return nil
}

func opOptions(c *caseCtx, s step) error {
	opts, err := s.options("options")
	if err != nil {
		return err
	}
	return s.checkRC(skv.CheckOptions(opts...))
}

func opOpen(c *caseCtx, s step) error {
	name := s.str("db")
	if name == "" {
		return failf("bad case: missing 'db'")
	}
	rel := name
	if s.has("path") {
		rel = s.str("path")
	}
	if d, ok := c.dbs[name]; ok && d.open {
		return failf("bad case: db '%s' is still open", name)
	}
	path, err := c.casePath(rel)
	if err != nil {
		return err
	}
	opts, err := s.options("options")
	if err != nil {
		return err
	}
	db, err := skv.Open(path, opts...)
	if err == nil {
		c.dbs[name] = &dbSlot{db: db, open: true, path: path, opts: opts}
	}
	return s.checkRC(err)
}

func opClose(c *caseCtx, s step) error {
	d, err := c.db(s)
	if err != nil {
		return err
	}
	err = d.db.Close()
	d.open = false
	return s.checkRC(err)
}

func opReopen(c *caseCtx, s step) error {
	d, err := c.db(s)
	if err != nil {
		return err
	}
	err = d.db.Close()
	d.open = false
	if err != nil {
		return failf("expected close SKV_OK, got %s", codeOf(err))
	}
	db, err := skv.Open(d.path, d.opts...)
	if err == nil {
		d.db, d.open = db, true
	}
	return s.checkRC(err)
}

func dbCall(fn func(db *skv.DB) error) opFunc {
	return func(c *caseCtx, s step) error {
		d, err := c.db(s)
		if err != nil {
			return err
		}
		return s.checkRC(fn(d.db))
	}
}

func opProperty(c *caseCtx, s step) error {
	d, err := c.db(s)
	if err != nil {
		return err
	}
	name := s.str("name")
	val, perr := d.db.Property(name)
	if err := s.checkRC(perr); err != nil || perr != nil {
		return err
	}
	if s.has("text") {
		if want := s.str("text"); val != want {
			return failf("expected %s \"%s\", got \"%s\"", name, want, val)
		}
		return nil
	}
	if !s.has("save") && !s.has("gt") && !s.has("ge") && !s.has("eq") && !s.has("min") {
		return nil
	}
	x, xerr := strconv.ParseUint(val, 10, 64)
	if xerr != nil || strings.TrimLeft(val, "0123456789") != "" {
		return failf("expected a decimal integer, got \"%s\"", val)
	}
	for _, cmp := range []struct {
		member, sym string
		ok          func(x, ref uint64) bool
	}{
		{"gt", ">", func(x, r uint64) bool { return x > r }},
		{"ge", ">=", func(x, r uint64) bool { return x >= r }},
		{"eq", "==", func(x, r uint64) bool { return x == r }},
	} {
		if !s.has(cmp.member) {
			continue
		}
		vname := s.str(cmp.member)
		ref, ok := c.vars[vname]
		if !ok {
			return failf("bad case: variable '%s' is not saved", vname)
		}
		if !cmp.ok(x, ref) {
			return failf("expected %s %s %s (%d), got %d", name, cmp.sym, vname, ref, x)
		}
	}
	if s.has("min") {
		ref, err := s.u64("min")
		if err != nil {
			return err
		}
		if x < ref {
			return failf("expected %s >= %d, got %d", name, ref, x)
		}
	}
	if s.has("save") {
		c.vars[s.str("save")] = x
	}
	return nil
}

func parseDurability(d string) (skv.Durability, error) {
	switch d {
	case "eventual":
		return skv.Eventual, nil
	case "immediate":
		return skv.Immediate, nil
	}
	return 0, failf("bad case: bad durability '%s'", d)
}

func opBegin(c *caseCtx, s step) error {
	d, err := c.db(s)
	if err != nil {
		return err
	}
	name := s.str("txn")
	if name == "" {
		return failf("bad case: missing 'txn'")
	}
	mode := skv.ReadWrite
	switch s.str("mode") {
	case "", "read_write":
	case "read_only":
		mode = skv.ReadOnly
	case "write_only":
		mode = skv.WriteOnly
	default:
		return failf("bad case: bad mode '%s'", s.str("mode"))
	}
	var dur skv.Durability
	if s.has("durability") {
		if dur, err = parseDurability(s.str("durability")); err != nil {
			return err
		}
	}
	if _, ok := c.txns[name]; ok {
		return failf("bad case: txn '%s' is still bound", name)
	}
	txn, err := d.db.Begin(mode)
	if err == nil {
		c.txns[name] = txn
	}
	if err := s.checkRC(err); err != nil || txn == nil {
		return err
	}
	if s.has("durability") {
		if err := txn.SetDurability(dur); err != nil {
			return failf("expected set_durability SKV_OK, got %s", codeOf(err))
		}
	}
	return nil
}

func opSetDurability(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	dur, err := parseDurability(s.str("durability"))
	if err != nil {
		return err
	}
	return s.checkRC(txn.SetDurability(dur))
}

func txnCall(fn func(t *skv.Txn) error) opFunc {
	return func(c *caseCtx, s step) error {
		txn, err := c.txn(s)
		if err != nil {
			return err
		}
		return s.checkRC(fn(txn))
	}
}

// keyValueOp runs a write that takes the step's key (and value).
func keyValueOp(c *caseCtx, s step, withValue bool, fn func(t *skv.Txn, k, v []byte) error) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	k, err := s.bytes("key")
	if err != nil {
		return err
	}
	var v []byte
	if withValue {
		if v, err = s.bytes("value"); err != nil {
			return err
		}
	}
	return s.checkRC(fn(txn, k, v))
}

func opSet(c *caseCtx, s step) error {
	return keyValueOp(c, s, true, func(t *skv.Txn, k, v []byte) error { return t.Set(k, v) })
}

func opSetAt(c *caseCtx, s step) error {
	ts, err := c.timestamp(s, "ts")
	if err != nil {
		return err
	}
	return keyValueOp(c, s, true, func(t *skv.Txn, k, v []byte) error { return t.SetAt(k, v, ts) })
}

func opReplace(c *caseCtx, s step) error {
	return keyValueOp(c, s, true, func(t *skv.Txn, k, v []byte) error { return t.Replace(k, v) })
}

func opDelete(c *caseCtx, s step) error {
	return keyValueOp(c, s, false, func(t *skv.Txn, k, _ []byte) error { return t.Delete(k) })
}

func opSoftDelete(c *caseCtx, s step) error {
	return keyValueOp(c, s, false, func(t *skv.Txn, k, _ []byte) error { return t.SoftDelete(k) })
}

// timestamp decodes a timestamp member: an integer, a decimal string, or {"var": NAME,
// "plus": N?, "minus": N?} relative to a saved variable.
func (c *caseCtx) timestamp(s step, name string) (uint64, error) {
	raw, ok := s[name]
	if !ok {
		return 0, failf("bad case: missing '%s'", name)
	}
	return c.rawTimestamp(raw, name)
}

func (c *caseCtx) rawTimestamp(raw json.RawMessage, name string) (uint64, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return rawU64(raw, name)
	}
	var vname string
	json.Unmarshal(obj["var"], &vname)
	v, ok := c.vars[vname]
	if !ok {
		return 0, failf("bad case: variable '%s' is not saved", vname)
	}
	if p, ok := obj["plus"]; ok {
		n, err := rawU64(p, "plus")
		if err != nil {
			return 0, err
		}
		v += n
	}
	if m, ok := obj["minus"]; ok {
		n, err := rawU64(m, "minus")
		if err != nil {
			return 0, err
		}
		v -= n
	}
	return v, nil
}

// checkValue compares a value read with the step's "value", when present.
func checkValue(s step, got []byte) error {
	want, ok, err := s.optBytes("value")
	if err != nil || !ok {
		return err
	}
	if !bytes.Equal(want, got) {
		return failf("expected value %s, got %s", show(want), show(got))
	}
	return nil
}

func opGet(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	k, err := s.bytes("key")
	if err != nil {
		return err
	}
	v, err := txn.Get(k)
	if err := s.checkRC(err); err != nil || v == nil {
		return err
	}
	return checkValue(s, v)
}

func opCommitAsync(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	a := &asyncState{txn: s.str("txn"), done: make(chan struct{})}
	c.asyncs = append(c.asyncs, a)
	err = txn.CommitAsyncFunc(func(status error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.calls++
		a.status = status
		if a.calls == 1 {
			close(a.done)
		}
	})
	a.returnedOK = err == nil
	return s.checkRC(err)
}

func opAwaitCommit(c *caseCtx, s step) error {
	name := s.str("txn")
	var a *asyncState
	for i := len(c.asyncs) - 1; i >= 0 && a == nil; i-- { // the newest one on this txn
		if c.asyncs[i].returnedOK && c.asyncs[i].txn == name {
			a = c.asyncs[i]
		}
	}
	if a == nil {
		return failf("expected a successful commit_async on '%s', got none", name)
	}
	want, err := s.expectSet("status")
	if err != nil {
		return err
	}
	timeout := 10000 * time.Millisecond
	if s.has("timeout_ms") {
		ms, err := s.u64("timeout_ms")
		if err != nil {
			return err
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	if timeout > 0 {
		select {
		case <-a.done:
		case <-time.After(timeout):
		}
	}
	a.mu.Lock()
	calls, status := a.calls, a.status
	a.mu.Unlock()
	if calls == 0 {
		return failf("expected callback, got timeout")
	}
	if calls != 1 {
		return failf("expected 1 callback, got %d", calls)
	}
	if err := matchExpect(want, codeOf(status)); err != nil {
		return failf("status: %v", err)
	}
	return nil
}

func opTxnFree(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	txn.Rollback() // the package's release: ends the transaction if it is still open
	delete(c.txns, s.str("txn"))
	return nil
}

// rangeOptions decodes "flags" into options.
func rangeOptions(s step) ([]skv.RangeOption, error) {
	var flags []string
	if raw, ok := s["flags"]; ok {
		if err := json.Unmarshal(raw, &flags); err != nil {
			return nil, failf("bad case: 'flags' must be an array")
		}
	}
	var opts []skv.RangeOption
	for _, f := range flags {
		switch f {
		case "reverse":
			opts = append(opts, skv.Reverse())
		case "keys_only":
			opts = append(opts, skv.KeysOnly())
		default:
			return nil, failf("bad case: unknown flag '%s'", f)
		}
	}
	return opts, nil
}

func bounds(s step) (lo, hi []byte, err error) {
	if lo, _, err = s.optBytes("lo"); err != nil {
		return nil, nil, err
	}
	hi, _, err = s.optBytes("hi")
	return lo, hi, err
}

func opIterOpen(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	name := s.str("iter")
	lo, hi, err := bounds(s)
	if err != nil {
		return err
	}
	opts, err := rangeOptions(s)
	if err != nil {
		return err
	}
	if _, ok := c.iters[name]; ok {
		return failf("bad case: iter '%s' is still bound", name)
	}
	it, err := txn.NewIterator(lo, hi, opts...)
	if err == nil {
		c.iters[name] = it
	}
	return s.checkRC(err)
}

// moveResult maps a move's outcome to an error name: SKV_NOTFOUND when it found no entry.
func moveResult(it *skv.Iterator, ok bool) error {
	if ok {
		return nil
	}
	if err := it.Err(); err != nil {
		return err
	}
	return skv.ErrNotFound
}

// checkCurrent compares the current entry with the step's "key" and "value", when present.
func checkCurrent(s step, it *skv.Iterator) error {
	if want, ok, err := s.optBytes("key"); err != nil {
		return err
	} else if ok {
		got := it.Key()
		if got == nil {
			return failf("expected iter_key SKV_OK, got %s", codeOf(moveResult(it, false)))
		}
		if !bytes.Equal(want, got) {
			return failf("expected key %s, got %s", show(want), show(got))
		}
	}
	if want, ok, err := s.optBytes("value"); err != nil {
		return err
	} else if ok {
		got := it.Value()
		if got == nil {
			return failf("expected iter_value SKV_OK, got %s", codeOf(moveResult(it, false)))
		}
		if !bytes.Equal(want, got) {
			return failf("expected value %s, got %s", show(want), show(got))
		}
	}
	return nil
}

func iterMove(move func(it *skv.Iterator) bool) opFunc {
	return func(c *caseCtx, s step) error {
		it, err := c.iter(s)
		if err != nil {
			return err
		}
		ok := move(it)
		if err := s.checkRC(moveResult(it, ok)); err != nil || !ok {
			return err
		}
		return checkCurrent(s, it)
	}
}

func opIterSeek(c *caseCtx, s step) error {
	target, err := s.bytes("target")
	if err != nil {
		return err
	}
	return iterMove(func(it *skv.Iterator) bool { return it.Seek(target) })(c, s)
}

func opIterKey(c *caseCtx, s step) error {
	it, err := c.iter(s)
	if err != nil {
		return err
	}
	k := it.Key()
	if err := s.checkRC(moveResult(it, k != nil)); err != nil || k == nil {
		return err
	}
	if want, ok, err := s.optBytes("key"); err != nil {
		return err
	} else if ok && !bytes.Equal(want, k) {
		return failf("expected key %s, got %s", show(want), show(k))
	}
	return nil
}

func opIterValue(c *caseCtx, s step) error {
	it, err := c.iter(s)
	if err != nil {
		return err
	}
	v := it.Value()
	if err := s.checkRC(moveResult(it, v != nil)); err != nil || v == nil {
		return err
	}
	return checkValue(s, v)
}

func opIterFree(c *caseCtx, s step) error {
	it, err := c.iter(s)
	if err != nil {
		return err
	}
	it.Close()
	delete(c.iters, s.str("iter"))
	return nil
}

// compareList compares entries read with the step's "entries" ([[k, v], ...]) or "keys".
func compareList(s step, got []skv.Entry) error {
	var want [][]json.RawMessage
	var keysOnly bool
	if raw, ok := s["entries"]; ok {
		if err := json.Unmarshal(raw, &want); err != nil {
			return failf("bad case: bad 'entries'")
		}
	} else if raw, ok := s["keys"]; ok {
		var keys []json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return failf("bad case: bad 'keys'")
		}
		for _, k := range keys {
			want = append(want, []json.RawMessage{k})
		}
		keysOnly = true
	} else {
		return failf("bad case: missing 'entries' or 'keys'")
	}
	for i, w := range want {
		if len(w) != 2 && !keysOnly {
			return failf("bad case: entry %d is not a [key, value] pair", i)
		}
		wk, err := decodeBytes(w[0], "entry key")
		if err != nil {
			return err
		}
		if i >= len(got) {
			return failf("expected %d entries, got %d (missing entry %d key %s)", len(want), len(got), i, show(wk))
		}
		if !bytes.Equal(wk, got[i].Key) {
			return failf("expected entry %d key %s, got %s", i, show(wk), show(got[i].Key))
		}
		if !keysOnly {
			wv, err := decodeBytes(w[1], "entry value")
			if err != nil {
				return err
			}
			if !bytes.Equal(wv, got[i].Value) {
				return failf("expected entry %d value %s, got %s", i, show(wv), show(got[i].Value))
			}
		}
	}
	if len(got) != len(want) {
		return failf("expected %d entries, got %d (first extra key %s)", len(want), len(got), show(got[len(want)].Key))
	}
	return nil
}

func opCollect(c *caseCtx, s step) error {
	it, err := c.iter(s)
	if err != nil {
		return err
	}
	batch, batchBytes := uint64(2), uint64(0)
	if s.has("batch") {
		if batch, err = s.u64("batch"); err != nil {
			return err
		}
	}
	if s.has("batch_bytes") {
		if batchBytes, err = s.u64("batch_bytes"); err != nil {
			return err
		}
	}
	var all []skv.Entry
	for {
		entries, err := it.NextBatch(int(batch), int(batchBytes))
		if err != nil {
			if err := s.checkRC(err); err != nil {
				return err
			}
			return nil
		}
		if len(entries) == 0 {
			break
		}
		if batch > 0 && uint64(len(entries)) > batch {
			return failf("expected 1..%d entries from read_batch, got %d", batch, len(entries))
		}
		all = append(all, entries...)
	}
	if err := s.checkRC(nil); err != nil {
		return err
	}
	return compareList(s, all)
}

func opScan(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	lo, hi, err := bounds(s)
	if err != nil {
		return err
	}
	opts, err := rangeOptions(s)
	if err != nil {
		return err
	}
	if s.has("limit") {
		limit, err := s.u64("limit")
		if err != nil {
			return err
		}
		opts = append(opts, skv.Limit(int(limit)))
	}
	var stopAfter uint64
	if s.has("stop_after") {
		if stopAfter, err = s.u64("stop_after"); err != nil || stopAfter == 0 {
			return failf("bad case: bad 'stop_after'")
		}
	}
	var got []skv.Entry
	err = txn.Scan(lo, hi, func(k, v []byte) bool {
		got = append(got, skv.Entry{Key: k, Value: v})
		return stopAfter == 0 || uint64(len(got)) < stopAfter
	}, opts...)
	if err := s.checkRC(err); err != nil {
		return err
	}
	if err != nil {
		if len(got) > 0 {
			return failf("expected no callback on failure, got %d", len(got))
		}
		return nil
	}
	return compareList(s, got)
}

// ---- checkpoints, restore and the integrity check ----

func dirCall(fn func(db *skv.DB, dir string) error) opFunc {
	return func(c *caseCtx, s step) error {
		d, err := c.db(s)
		if err != nil {
			return err
		}
		dir, err := c.casePath(s.str("dir"))
		if err != nil {
			return err
		}
		return s.checkRC(fn(d.db, dir))
	}
}

var (
	opCheckpoint = dirCall((*skv.DB).Checkpoint)
	opRestore    = dirCall((*skv.DB).Restore)
)

func opCheck(c *caseCtx, s step) error {
	var report string
	var err error
	if s.has("db") {
		d, derr := c.db(s)
		if derr != nil {
			return derr
		}
		report, err = d.db.Check()
	} else {
		path, perr := c.casePath(s.str("path"))
		if perr != nil {
			return perr
		}
		report, err = skv.CheckDir(path)
	}
	if err := s.checkRC(err); err != nil {
		return err
	}
	if s.has("report_has") && !strings.Contains(report, s.str("report_has")) {
		return failf("expected a report containing \"%s\"", s.str("report_has"))
	}
	return nil
}

// ---- time travel ----

func opGetAt(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	k, err := s.bytes("key")
	if err != nil {
		return err
	}
	ts, err := c.timestamp(s, "ts")
	if err != nil {
		return err
	}
	v, err := txn.GetAt(k, ts)
	if err := s.checkRC(err); err != nil || v == nil {
		return err
	}
	return checkValue(s, v)
}

// historyOptions decodes the members of a history or history_open step.
func (c *caseCtx) historyOptions(s step) ([]skv.HistoryOption, error) {
	var opts []skv.HistoryOption
	if s.has("from") {
		ts, err := c.timestamp(s, "from")
		if err != nil {
			return nil, err
		}
		opts = append(opts, skv.TsFrom(ts))
	}
	if s.has("to") {
		ts, err := c.timestamp(s, "to")
		if err != nil {
			return nil, err
		}
		opts = append(opts, skv.TsTo(ts))
	}
	if s.has("limit") {
		n, err := s.u64("limit")
		if err != nil {
			return nil, err
		}
		opts = append(opts, skv.Limit(int(n)))
	}
	var flags []string
	if raw, ok := s["flags"]; ok {
		if err := json.Unmarshal(raw, &flags); err != nil {
			return nil, failf("bad case: 'flags' must be an array")
		}
	}
	for _, f := range flags {
		switch f {
		case "reverse":
			opts = append(opts, skv.Reverse())
		case "keys_only":
			opts = append(opts, skv.KeysOnly())
		case "tombstones":
			opts = append(opts, skv.Tombstones())
		default:
			return nil, failf("bad case: unknown history flag '%s'", f)
		}
	}
	return opts, nil
}

// checkVersion compares a version's timestamp and kind with a step or entry object.
func (c *caseCtx) checkVersion(want map[string]json.RawMessage, idx int, ts uint64, kind skv.Kind) error {
	if raw, ok := want["ts"]; ok {
		wts, err := c.rawTimestamp(raw, "ts")
		if err != nil {
			return err
		}
		if ts != wts {
			return failf("expected entry %d ts %d, got %d", idx, wts, ts)
		}
	}
	if raw, ok := want["kind"]; ok {
		var wk string
		json.Unmarshal(raw, &wk)
		if wk != kind.String() {
			return failf("expected entry %d kind %s, got %s", idx, wk, kind)
		}
	}
	return nil
}

func opHistory(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	lo, hi, err := bounds(s)
	if err != nil {
		return err
	}
	opts, err := c.historyOptions(s)
	if err != nil {
		return err
	}
	var got []skv.HistoryEntry
	for v := range txn.History(lo, hi, opts...) {
		got = append(got, v)
	}
	herr := txn.Err()
	if err := s.checkRC(herr); err != nil || herr != nil {
		return err
	}
	var want []map[string]json.RawMessage
	if err := json.Unmarshal(s["entries"], &want); err != nil {
		return failf("bad case: missing 'entries'")
	}
	for i, w := range want {
		wk, err := decodeBytes(w["key"], "entry key")
		if err != nil {
			return failf("bad case: entry %d needs an object with 'key'", i)
		}
		if i >= len(got) {
			return failf("expected %d entries, got %d", len(want), len(got))
		}
		if !bytes.Equal(wk, got[i].Key) {
			return failf("expected entry %d key %s, got %s", i, show(wk), show(got[i].Key))
		}
		if raw, ok := w["value"]; ok {
			wv, err := decodeBytes(raw, "entry value")
			if err != nil {
				return err
			}
			if !bytes.Equal(wv, got[i].Value) {
				return failf("expected entry %d value %s, got %s", i, show(wv), show(got[i].Value))
			}
		}
		if err := c.checkVersion(w, i, got[i].Timestamp, got[i].Kind); err != nil {
			return err
		}
	}
	if len(got) > len(want) {
		return failf("expected %d entries, got more (next key %s)", len(want), show(got[len(want)].Key))
	}
	return nil
}

func opHistoryOpen(c *caseCtx, s step) error {
	txn, err := c.txn(s)
	if err != nil {
		return err
	}
	name := s.str("iter")
	if name == "" {
		return failf("bad case: missing 'iter'")
	}
	if _, ok := c.iters[name]; ok {
		return failf("bad case: iter '%s' is still bound", name)
	}
	lo, hi, err := bounds(s)
	if err != nil {
		return err
	}
	opts, err := c.historyOptions(s)
	if err != nil {
		return err
	}
	it, err := txn.NewHistoryIterator(lo, hi, opts...)
	if err == nil {
		c.iters[name] = it
	}
	return s.checkRC(err)
}

func opIterVersion(c *caseCtx, s step) error {
	it, err := c.iter(s)
	if err != nil {
		return err
	}
	ts, kind := it.Version()
	if err := s.checkRC(moveResult(it, kind != 0)); err != nil || kind == 0 {
		return err
	}
	return c.checkVersion(s, 0, ts, kind)
}
