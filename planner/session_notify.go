package planner

import (
	"context"
	"sort"

	"openwit/internal/notify"
	"openwit/planner/pgparse"
)

// LISTEN, UNLISTEN and NOTIFY (docs/design/064-listen-notify.md). Outside
// a transaction block they take effect at once; inside one they wait for
// COMMIT and are dropped by ROLLBACK (or COMMIT of a failed block), as in
// PostgreSQL. Notifications reach the session's client when it is idle
// outside a block: the wire protocol takes them with TakeNotifications.

// notifyTx is what a transaction block has queued.
type notifyTx struct {
	listen []pgparse.Notify // LISTEN and UNLISTEN, in order
	notes  []notify.Notification
}

// listener returns the session's listener, creating it on first use.
func (s *Session) listener() *notify.Listener {
	if s.lis == nil {
		s.lis = s.e.hub.NewListener()
		if s.wake != nil {
			s.lis.SetWake(s.wake)
		}
	}
	return s.lis
}

// notifyStatement runs LISTEN, UNLISTEN or NOTIFY. The implicit block of
// a simple query holding several statements queues them like an explicit
// block: a later statement's failure drops them.
func (s *Session) notifyStatement(ctx context.Context, n *pgparse.Notify) (*Rows, error) {
	block := s.inBlock()
	switch {
	case n.Op == "NOTIFY" && block:
		note := notify.Notification{PID: s.ID(), Channel: n.Channel, Payload: n.Payload}
		// A block sends a channel and payload once, however often it
		// repeats them (PostgreSQL drops duplicates within a transaction).
		for _, q := range s.ntx.notes {
			if q == note {
				return &Rows{tag: n.Op}, nil
			}
		}
		s.ntx.notes = append(s.ntx.notes, note)
	case n.Op == "NOTIFY":
		s.sendNotifications(ctx, []notify.Notification{{PID: s.ID(), Channel: n.Channel, Payload: n.Payload}})
	case block:
		s.ntx.listen = append(s.ntx.listen, *n)
	default:
		s.applyListen(*n)
	}
	return &Rows{tag: n.Op}, nil
}

func (s *Session) applyListen(n pgparse.Notify) {
	switch {
	case n.Op == "LISTEN":
		s.listener().Listen(n.Channel)
	case s.lis == nil:
	case n.Channel == "":
		s.lis.UnlistenAll()
	default:
		s.lis.Unlisten(n.Channel)
	}
}

// sendNotifications hands committed notifications to the node's hub. A
// relay failure (other nodes unreachable) is logged: the statement has
// committed, and PostgreSQL's notifications are not durable either.
func (s *Session) sendNotifications(ctx context.Context, ns []notify.Notification) {
	if err := s.e.hub.Notify(context.WithoutCancel(ctx), ns); err != nil {
		s.e.cfg.Logger.Warn("notify: relay to other nodes failed", "err", err, "notifications", len(ns))
	}
}

// endNotifyBlock applies (commit) or drops a block's LISTEN, UNLISTEN and
// NOTIFY.
func (s *Session) endNotifyBlock(commit bool) {
	q := s.ntx
	s.ntx = notifyTx{}
	if !commit {
		return
	}
	for _, n := range q.listen {
		s.applyListen(n)
	}
	if len(q.notes) > 0 {
		s.sendNotifications(context.Background(), q.notes)
	}
}

// unlistenAll is UNLISTEN * (DISCARD ALL does it too).
func (s *Session) unlistenAll() {
	if s.lis != nil {
		s.lis.UnlistenAll()
	}
}

// ListeningChannels returns the channels the session listens to, sorted
// (pg_listening_channels).
func (s *Session) ListeningChannels() []string {
	if s.lis == nil {
		return nil
	}
	chans := s.lis.Channels()
	sort.Strings(chans)
	return chans
}

// SetNotifyWake sets the function called when a notification is queued
// for the session (the wire protocol wakes its idle connection with it).
func (s *Session) SetNotifyWake(f func()) {
	s.wake = f
	if s.lis != nil {
		s.lis.SetWake(f)
	}
}

// TakeNotifications returns and clears the notifications queued for the
// session.
func (s *Session) TakeNotifications() []notify.Notification {
	if s.lis == nil {
		return nil
	}
	return s.lis.Take()
}

// pgNotify is pg_notify(channel, payload): NOTIFY with the channel as
// given (not folded) and a NULL payload as none.
func (s *Session) pgNotify(ctx context.Context, channel, payload string) error {
	if err := pgparse.CheckNotify(channel, payload); err != nil {
		return err
	}
	_, err := s.notifyStatement(ctx, &pgparse.Notify{Op: "NOTIFY", Channel: channel, Payload: payload})
	return err
}
