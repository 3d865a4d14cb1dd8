package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/notify"
	"openwit/internal/pgerror"
)

// Notify is LISTEN, UNLISTEN or NOTIFY (docs/design/064-listen-notify.md).
type Notify struct {
	// Op is "LISTEN", "UNLISTEN" or "NOTIFY".
	Op      string
	Channel string // empty for UNLISTEN *
	Payload string // NOTIFY's payload
}

// notify translates LISTEN, UNLISTEN and NOTIFY. The parser has folded and
// truncated the channel name as an identifier.
func (t *translator) notify(n *pg.Node) *Statement {
	st := &Statement{Kind: KindNotify, Notify: &Notify{}}
	switch {
	case n.GetListenStmt() != nil:
		st.Notify.Op, st.Notify.Channel = "LISTEN", n.GetListenStmt().Conditionname
	case n.GetUnlistenStmt() != nil:
		st.Notify.Op, st.Notify.Channel = "UNLISTEN", n.GetUnlistenStmt().Conditionname
	default:
		s := n.GetNotifyStmt()
		st.Notify.Op, st.Notify.Channel, st.Notify.Payload = "NOTIFY", s.Conditionname, s.Payload
		if err := CheckNotify(s.Conditionname, s.Payload); err != nil {
			panic(failure{err})
		}
	}
	st.Tag = st.Notify.Op
	return st
}

// CheckNotify checks a notification's channel and payload as
// PostgreSQL's pg_notify does.
func CheckNotify(channel, payload string) error {
	switch {
	case channel == "":
		return pgerror.New(pgerror.InvalidParameterValue, "channel name cannot be empty")
	case len(channel) >= 64:
		return pgerror.New(pgerror.InvalidParameterValue, "channel name too long")
	case len(payload) > notify.MaxPayload:
		return pgerror.New(pgerror.InvalidParameterValue, "payload string too long")
	}
	return nil
}
