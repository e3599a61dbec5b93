package farm

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig configures an embedded nats-server.
type ServerConfig struct {
	// Listen is host:port for clients (port 0: any free port).
	Listen string
	// StoreDir is where JetStream keeps the farm's streams and objects.
	StoreDir string
	// ConfigFile, when set, is a nats-server configuration file (accounts,
	// users, NKeys, TLS, cluster routes); Listen and StoreDir override its
	// listen address and store directory when set.
	ConfigFile string
	// Logs: print the server's notices and errors to stderr.
	Logs bool
}

// StartServer starts an in-process nats-server with JetStream and returns
// it once it accepts connections: the farm of one machine, and the one the
// tests use. Shut it down with Shutdown.
func StartServer(cfg ServerConfig) (*server.Server, error) {
	opts := &server.Options{}
	if cfg.ConfigFile != "" {
		var err error
		if opts, err = server.ProcessConfigFile(cfg.ConfigFile); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrFarm, cfg.ConfigFile, err)
		}
	}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %v", ErrFarm, cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("%w: listen address %q: bad port", ErrFarm, cfg.Listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, p
	}
	opts.JetStream = true
	if cfg.StoreDir != "" {
		opts.StoreDir = cfg.StoreDir
	}
	opts.NoSigs = true
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: nats-server: %v", ErrFarm, err)
	}
	if cfg.Logs {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("%w: nats-server did not start listening on %s", ErrFarm, cfg.Listen)
	}
	return s, nil
}
