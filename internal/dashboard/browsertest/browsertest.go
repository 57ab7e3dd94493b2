// Package browsertest loads a page in a real headless Chromium for tests, through the
// DevTools protocol over a pipe (--remote-debugging-pipe: no port, no websocket): it
// collects console errors, uncaught exceptions, error log entries (a blocked or failed
// load, a Content-Security-Policy violation) and every request that leaves the machine,
// evaluates an expression in the page and takes a full-page screenshot.
//
// The browser is ETL_TEST_CHROMIUM (scripts/services/chromium.sh installs Debian's
// chromium and exports it); without it, Chromium skips the test.
package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Chromium returns the browser to use, or skips t when ETL_TEST_CHROMIUM is not set.
func Chromium(t testing.TB) string {
	t.Helper()
	p := os.Getenv("ETL_TEST_CHROMIUM")
	if p == "" {
		t.Skip("ETL_TEST_CHROMIUM is not set: no browser to load the dashboard in (scripts/services/chromium.sh installs Debian's chromium)")
	}
	return p
}

// ArtifactDir is where tests keep files for a person to look at after the run (a
// screenshot): ETL_TEST_ARTIFACTS, else etl-test-artifacts in the system's temporary
// directory. Unlike t.TempDir it is not removed when the test ends.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ETL_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "etl-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Result is what a page load saw.
type Result struct {
	Errors   []string        // console errors, uncaught exceptions, error log entries
	Requests []string        // URLs requested that are not file:, data:, about: or blob:
	Value    json.RawMessage // the value of the expression given to Load
	PNG      []byte          // the whole page
}

// Load starts chromium headless with a new empty profile, opens url in a window width
// pixels wide, waits for its load event, evaluates expr (JSON-serialisable result), then
// takes a screenshot of the whole page, and closes the browser.
func Load(ctx context.Context, chromium, url, expr string, width int) (*Result, error) {
	profile, err := os.MkdirTemp("", "etl-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	// The flags of /work/.library/env/machines/go.md: no sandbox (root in a container), no GPU,
	// and none of Chromium's own background connections (the network here is closed).
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe", "--user-data-dir="+profile, "about:blank")
	toChrome, ourEnd, err := os.Pipe() // Chromium reads commands on fd 3
	if err != nil {
		return nil, err
	}
	fromChrome, chromeEnd, err := os.Pipe() // and writes answers and events on fd 4
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{toChrome, chromeEnd}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", chromium, err)
	}
	toChrome.Close()
	chromeEnd.Close()
	c := newConn(ourEnd, fromChrome)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		ourEnd.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	res, err := c.load(ctx, url, expr, width)
	if err != nil {
		return nil, fmt.Errorf("%w\nchromium stderr:\n%s", err, tail(stderr.String(), 2000))
	}
	c.call(ctx, "", "Browser.close", nil)
	return res, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// message is one DevTools protocol message: an answer (ID) or an event (Method).
type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// conn is the pipe: NUL-terminated JSON messages each way.
type conn struct {
	w       io.Writer
	mu      sync.Mutex
	next    int64
	waiting map[int64]chan message
	events  chan message
	readErr chan error
}

func newConn(w io.Writer, r io.Reader) *conn {
	c := &conn{w: w, waiting: map[int64]chan message{}, events: make(chan message, 4096), readErr: make(chan error, 1)}
	go c.read(bufio.NewReaderSize(r, 1<<20))
	return c
}

func (c *conn) read(r *bufio.Reader) {
	for {
		b, err := r.ReadBytes(0)
		if err != nil {
			c.readErr <- fmt.Errorf("devtools pipe: %w", err)
			return
		}
		var m message
		if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
			c.readErr <- fmt.Errorf("devtools message %.200q: %w", b, err)
			return
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.waiting[m.ID]
			delete(c.waiting, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case c.events <- m:
		default: // a page flooding the console: keep reading, drop the excess
		}
	}
}

// call sends a command (to a page's session, or the browser when session is "") and
// waits for its answer.
func (c *conn) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan message, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	_, err = c.w.Write(append(b, 0))
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		return m.Result, nil
	case err := <-c.readErr:
		c.readErr <- err
		return nil, fmt.Errorf("%s: %w", method, err)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// load drives one page: see Load.
func (c *conn) load(ctx context.Context, url, expr string, width int) (*Result, error) {
	var target struct{ TargetID string }
	raw, err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &target); err != nil {
		return nil, err
	}
	var att struct{ SessionID string }
	if raw, err = c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &att); err != nil {
		return nil, err
	}
	s := att.SessionID
	for _, m := range []string{"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"} {
		if _, err := c.call(ctx, s, m, nil); err != nil {
			return nil, err
		}
	}
	metrics := func(h int) error {
		_, err := c.call(ctx, s, "Emulation.setDeviceMetricsOverride",
			map[string]any{"width": width, "height": h, "deviceScaleFactor": 1, "mobile": false})
		return err
	}
	if err := metrics(900); err != nil {
		return nil, err
	}
	res := &Result{}
	if _, err := c.call(ctx, s, "Page.navigate", map[string]any{"url": url}); err != nil {
		return nil, err
	}
	if err := c.until(ctx, res, "Page.loadEventFired"); err != nil {
		return nil, err
	}
	var ev struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if raw, err = c.call(ctx, s, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if ev.ExceptionDetails != nil {
		return nil, fmt.Errorf("evaluate: %s", ev.ExceptionDetails.Text)
	}
	res.Value = ev.Result.Value
	var lm struct {
		CSSContentSize struct{ Height float64 } `json:"cssContentSize"`
	}
	if raw, err = c.call(ctx, s, "Page.getLayoutMetrics", nil); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &lm); err != nil {
		return nil, err
	}
	if err := metrics(max(int(lm.CSSContentSize.Height+0.5), 100)); err != nil {
		return nil, err
	}
	var shot struct{ Data string }
	if raw, err = c.call(ctx, s, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &shot); err != nil {
		return nil, err
	}
	if res.PNG, err = base64.StdEncoding.DecodeString(shot.Data); err != nil {
		return nil, err
	}
	c.drain(res)
	return res, nil
}

// until records events until one named method arrives.
func (c *conn) until(ctx context.Context, res *Result, method string) error {
	for {
		select {
		case m := <-c.events:
			if m.Method == method {
				return nil
			}
			res.record(m)
		case err := <-c.readErr:
			c.readErr <- err
			return err
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", method, ctx.Err())
		}
	}
}

// drain records the events already received.
func (c *conn) drain(res *Result) {
	for {
		select {
		case m := <-c.events:
			res.record(m)
		default:
			return
		}
	}
}

func (r *Result) record(m message) {
	switch m.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		if json.Unmarshal(m.Params, &p) == nil && (p.Type == "error" || p.Type == "assert") {
			var parts []string
			for _, a := range p.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, fmt.Sprint(a.Value))
				}
			}
			r.Errors = append(r.Errors, "console."+p.Type+": "+strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			r.Errors = append(r.Errors, "exception: "+p.ExceptionDetails.Text+" "+p.ExceptionDetails.Exception.Description)
		}
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level, Text, URL, Source string
			} `json:"entry"`
		}
		if json.Unmarshal(m.Params, &p) == nil && p.Entry.Level == "error" {
			r.Errors = append(r.Errors, fmt.Sprintf("log (%s): %s %s", p.Entry.Source, p.Entry.Text, p.Entry.URL))
		}
	case "Network.requestWillBeSent":
		var p struct {
			Request struct{ URL string } `json:"request"`
		}
		if json.Unmarshal(m.Params, &p) == nil && !local(p.Request.URL) {
			r.Requests = append(r.Requests, p.Request.URL)
		}
	}
}

func local(url string) bool {
	for _, s := range []string{"file:", "data:", "about:", "blob:"} {
		if strings.HasPrefix(url, s) {
			return true
		}
	}
	return false
}

// PageExpr evaluates, in a dashboard page, to its Page: every svg.chart with the marks it
// declares (data-marks) and the marks the browser actually laid out (a .mark element with
// a non-empty box), and how many scripts the page has.
const PageExpr = `(() => {
  const charts = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    let drawn = 0;
    for (const m of svg.querySelectorAll('.mark')) {
      const b = m.getBBox(), r = m.getBoundingClientRect();
      if ((b.width > 0 || b.height > 0) && (r.width > 0 || r.height > 0)) drawn++;
    }
    const box = svg.getBoundingClientRect();
    charts.push({id: svg.id, declared: Number(svg.dataset.marks), drawn, empty: svg.dataset.empty || '',
      width: box.width, height: box.height, title: (svg.querySelector('title') || {}).textContent || ''});
  }
  return {title: document.title, scripts: document.scripts.length, charts,
    text: document.body.innerText.length};
})()`

// Page is the value of PageExpr.
type Page struct {
	Title   string  `json:"title"`
	Scripts int     `json:"scripts"`
	Text    int     `json:"text"` // characters of visible text
	Charts  []Chart `json:"charts"`
}

// Chart is one svg.chart of a Page.
type Chart struct {
	ID       string  `json:"id"`
	Declared int     `json:"declared"`
	Drawn    int     `json:"drawn"`
	Empty    string  `json:"empty"`
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
	Title    string  `json:"title"`
}

// ParsePage decodes the Value of a Load given PageExpr.
func ParsePage(res *Result) (*Page, error) {
	var p Page
	if err := json.Unmarshal(res.Value, &p); err != nil {
		return nil, fmt.Errorf("page state %.200s: %w", res.Value, err)
	}
	return &p, nil
}
