package pgwire

import (
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// LISTEN/NOTIFY delivery (docs/design/064-listen-notify.md). The session
// queues notifications; the connection goroutine, the only writer of the
// socket, sends them before ReadyForQuery outside a transaction block, and
// while it waits for the client a notification wakes its read through
// the socket's read deadline (as Shutdown does): readFailed then sends
// them and reads on.

// startReading records that the message loop waits for the client. A
// notification queued after the last ReadyForQuery but before reading is
// set found nothing to wake: an idle session outside a block sends what
// is queued now (later ones wake the read).
func (c *conn) startReading() {
	c.mu.Lock()
	c.reading = true
	c.mu.Unlock()
	if c.idle && c.tx == txIdle && c.notifier != nil {
		c.sendNotifications()
		_ = c.w.flush()
	}
}

// doneReading records that the loop's read returned err. A deadline a
// notification set as a message arrived is cleared, so that it cannot cut
// a later read (COPY data) short; after a deadline error the wake is left
// for readFailed.
func (c *conn) doneReading(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = false
	if err == nil && c.woken {
		c.woken = false
		if c.ctx.Err() == nil && !c.srv.shuttingDown.Load() {
			_ = c.nc.SetReadDeadline(time.Time{})
		}
	}
}

// notifyWake is the session's wake function: it interrupts the loop's
// read when the connection waits for the client. Otherwise the
// notification waits for the next ReadyForQuery.
func (c *conn) notifyWake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reading && !c.woken {
		c.woken = true
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// takeWoken reports and clears a wake by a notification.
func (c *conn) takeWoken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.woken
	c.woken = false
	return w
}

// sendNotifications buffers the session's queued notifications.
func (c *conn) sendNotifications() {
	if c.notifier == nil {
		return
	}
	var ns []Notification
	if err := protect(c.log, "Notifier.TakeNotifications", func() error { ns = c.notifier.TakeNotifications(); return nil }); err != nil {
		return
	}
	for _, n := range ns {
		c.w.send(&pgproto3.NotificationResponse{PID: n.PID, Channel: n.Channel, Payload: n.Payload})
	}
}
