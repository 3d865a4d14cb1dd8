package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"openwit/internal/node"
)

// status prints the cluster as the node at --http-addr sees it (its GET
// /cluster) as tables: nodes, scale-out hints per role, the control plane.
func status(args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	addr := fs.String("http-addr", node.DefaultConfig().HTTPAddr, "HTTP address (host:port) of any node")
	asJSON := fs.Bool("json", false, "print the node's JSON answer as is")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + *addr + "/cluster")
	if err != nil {
		fmt.Fprintln(os.Stderr, "openwit status:", err)
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "openwit status: GET /cluster on %s: %s %v\n", *addr, resp.Status, err)
		return 1
	}
	if *asJSON {
		os.Stdout.Write(body)
		return 0
	}
	var st node.ClusterStatus
	if err := json.Unmarshal(body, &st); err != nil {
		fmt.Fprintf(os.Stderr, "openwit status: read /cluster from %s: %v\n", *addr, err)
		return 1
	}
	if err := st.WriteTable(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "openwit status:", err)
		return 1
	}
	return 0
}
