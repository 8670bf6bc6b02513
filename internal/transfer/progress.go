package transfer

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress hears how many bytes of a transfer are done. Add is called from
// many goroutines at once.
type Progress interface {
	Add(n int64)
	Finish()
}

// NewProgress returns a progress display for a transfer of total bytes on
// w: a bar with rate and ETA when w is a terminal, else a plain line every
// interval (for logs and CI), or nothing when quiet.
func NewProgress(w io.Writer, label string, total int64, quiet bool, interval time.Duration) Progress {
	if quiet {
		return nop{}
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &bar{b: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)}
	}
	p := &lines{w: w, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.loop(interval)
	return p
}

type nop struct{}

func (nop) Add(int64) {}
func (nop) Finish()   {}

type bar struct{ b *progressbar.ProgressBar }

func (p *bar) Add(n int64) { p.b.Add64(n) }
func (p *bar) Finish()     { p.b.Finish() }

// lines prints "label: done / total (pct) rate ETA" periodically.
type lines struct {
	w           io.Writer
	label       string
	total, done int64
	start       time.Time
	stop        chan struct{}
	once        sync.Once
	wg          sync.WaitGroup
}

func (p *lines) Add(n int64) { atomic.AddInt64(&p.done, n) }

func (p *lines) loop(interval time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.print()
		}
	}
}

func (p *lines) print() {
	done := atomic.LoadInt64(&p.done)
	el := time.Since(p.start).Seconds()
	rate := float64(done) / max(el, 1e-3)
	pct, eta := 100.0, "0s"
	if p.total > 0 {
		pct = 100 * float64(done) / float64(p.total)
		if rate > 0 {
			eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
		}
	}
	fmt.Fprintf(p.w, "%s: %s / %s (%.0f%%) %s/s ETA %s\n", p.label, human(done), human(p.total), pct, human(int64(rate)), eta)
}

func (p *lines) Finish() {
	p.once.Do(func() {
		close(p.stop)
		p.wg.Wait()
		p.print()
	})
}

// human formats a byte count in binary units.
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
