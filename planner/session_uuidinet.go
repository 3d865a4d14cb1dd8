package planner

// connAddrs are a session's connection addresses for inet_client_addr,
// inet_client_port, inet_server_addr and inet_server_port: empty (NULL)
// for in-process sessions and anything but TCP.
type connAddrs struct {
	client, server         string
	clientPort, serverPort int
}

// SetServer records the server's end of the session's TCP connection.
func (s *Session) SetServer(addr string, port int) {
	s.base.conn.server, s.base.conn.serverPort = addr, port
}

// ConnAddrs implements the interface pgexpr's connection address
// functions look for.
func (s *pgSession) ConnAddrs() (client string, clientPort int, server string, serverPort int) {
	return s.conn.client, s.conn.clientPort, s.conn.server, s.conn.serverPort
}
