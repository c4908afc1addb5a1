// A plugin host for tests: HashiCorp go-plugin's own client starts the Trailhound backend executable the
// way Grafana does (magic cookie, protocol version 2, gRPC only), then runs commands read as JSON lines on
// stdin and answers each with one JSON line on stdout.
//
// Messages are encoded and decoded here by hand from the field numbers of Grafana's public pluginv2
// protocol, independently of the plugin's own .proto files, so a wrong field number in those shows up.
//
// Built in GOPATH mode against Debian's packages (golang-github-hashicorp-go-plugin-dev,
// golang-google-grpc-dev): see tests/backend/support/harness.ts.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// ---- protobuf wire format, by hand ----

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, field int, wire int) []byte { return appendVarint(b, uint64(field)<<3|uint64(wire)) }

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendTag(b, field, 2)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, field int, v string) []byte {
	if v == "" {
		return b
	}
	return appendBytes(b, field, []byte(v))
}

func appendInt(b []byte, field int, v int64) []byte {
	if v == 0 {
		return b
	}
	return appendVarint(appendTag(b, field, 0), uint64(v))
}

// A map entry is a message with the key in field 1 and the value in field 2.
func appendMapEntry(b []byte, field int, key string, value []byte) []byte {
	entry := appendString(nil, 1, key)
	entry = appendBytes(entry, 2, value)
	return appendBytes(b, field, entry)
}

type wireField struct {
	num    int
	varint uint64
	bytes  []byte
}

func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("bad varint")
}

func parseFields(b []byte) ([]wireField, error) {
	var out []wireField
	for len(b) > 0 {
		key, n, err := readVarint(b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		f := wireField{num: int(key >> 3)}
		switch key & 7 {
		case 0:
			v, n, err := readVarint(b)
			if err != nil {
				return nil, err
			}
			f.varint, b = v, b[n:]
		case 2:
			l, n, err := readVarint(b)
			if err != nil || uint64(len(b)-n) < l {
				return nil, errors.New("bad length")
			}
			f.bytes, b = b[n:n+int(l)], b[n+int(l):]
		case 1:
			b = b[8:]
		case 5:
			b = b[4:]
		default:
			return nil, fmt.Errorf("unsupported wire type %d", key&7)
		}
		out = append(out, f)
	}
	return out, nil
}

// ---- a codec that passes bytes through, so no generated code is needed ----

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string   { return "proto" }
func (rawCodec) String() string { return "proto" }

// ---- the go-plugin side ----

type datasourcePlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (datasourcePlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("host only")
}

func (datasourcePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// ---- commands ----

type settings struct {
	ID            int64  `json:"id"`
	UID           string `json:"uid"`
	Name          string `json:"name"`
	URL           string `json:"url"`
	Token         string `json:"token"`
	LastUpdatedMS int64  `json:"lastUpdatedMS"`
	JSONData      string `json:"jsonData"` // overrides {"url": URL} when set
}

type query struct {
	RefID         string `json:"refId"`
	JSON          string `json:"json"`
	From          int64  `json:"from"`
	To            int64  `json:"to"`
	IntervalMS    int64  `json:"intervalMs"`
	MaxDataPoints int64  `json:"maxDataPoints"`
	QueryType     string `json:"queryType"`
}

type command struct {
	Cmd      string            `json:"cmd"`
	Settings *settings         `json:"settings"`
	Queries  []query           `json:"queries"`
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	URL      string            `json:"url"`
	Body     string            `json:"body"`
	Headers  map[string]string `json:"headers"`
	Service  string            `json:"service"`
	// The calling user's organization role (Admin, Editor, Viewer); empty sends no user.
	Role string `json:"role"`
}

// pluginv2.PluginContext: orgId 1, pluginId 2, user 3 (User: login 1, role 4), dataSourceInstanceSettings 5.
func pluginContext(s *settings, role string) []byte {
	b := appendInt(nil, 1, 1)
	b = appendString(b, 2, "trailhound-cloudtrail-datasource")
	if role != "" {
		b = appendBytes(b, 3, appendString(appendString(nil, 1, "harness"), 4, role))
	}
	if s == nil {
		return b
	}
	jsonData := s.JSONData
	if jsonData == "" {
		raw, _ := json.Marshal(map[string]string{"url": s.URL})
		jsonData = string(raw)
	}
	// DataSourceInstanceSettings: id 1, name 2, jsonData 8, decryptedSecureJsonData 9, lastUpdatedMS 10, uid 11.
	ds := appendInt(nil, 1, s.ID)
	ds = appendString(ds, 2, s.Name)
	ds = appendBytes(ds, 8, []byte(jsonData))
	if s.Token != "" {
		ds = appendMapEntry(ds, 9, "token", []byte(s.Token))
	}
	ds = appendInt(ds, 10, s.LastUpdatedMS)
	ds = appendString(ds, 11, s.UID)
	return appendBytes(b, 5, ds)
}

type host struct {
	client *plugin.Client
	conn   *grpc.ClientConn
	stdout *syncBuffer
}

func (h *host) invoke(method string, request []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var reply []byte
	err := h.conn.Invoke(ctx, method, &request, &reply, grpc.ForceCodec(rawCodec{}))
	return reply, err
}

func (h *host) checkHealth(c command) (interface{}, error) {
	// CheckHealthRequest: pluginContext 1.
	reply, err := h.invoke("/pluginv2.Diagnostics/CheckHealth", appendBytes(nil, 1, pluginContext(c.Settings, c.Role)))
	if err != nil {
		return nil, err
	}
	fields, err := parseFields(reply)
	if err != nil {
		return nil, err
	}
	// CheckHealthResponse: status 1 (0 UNKNOWN, 1 OK, 2 ERROR), message 2, jsonDetails 3.
	out := map[string]interface{}{"status": "UNKNOWN", "message": "", "jsonDetails": ""}
	for _, f := range fields {
		switch f.num {
		case 1:
			out["status"] = map[uint64]string{0: "UNKNOWN", 1: "OK", 2: "ERROR"}[f.varint]
		case 2:
			out["message"] = string(f.bytes)
		case 3:
			out["jsonDetails"] = string(f.bytes)
		}
	}
	return out, nil
}

func (h *host) query(c command) (interface{}, error) {
	// QueryDataRequest: pluginContext 1, queries 3.
	req := appendBytes(nil, 1, pluginContext(c.Settings, c.Role))
	for _, q := range c.Queries {
		// DataQuery: refId 1, maxDataPoints 2, intervalMS 3, timeRange 4 (fromEpochMS 1, toEpochMS 2), json 5, queryType 6.
		tr := appendInt(appendInt(nil, 1, q.From), 2, q.To)
		dq := appendString(nil, 1, q.RefID)
		dq = appendInt(dq, 2, q.MaxDataPoints)
		dq = appendInt(dq, 3, q.IntervalMS)
		dq = appendBytes(dq, 4, tr)
		dq = appendBytes(dq, 5, []byte(q.JSON))
		dq = appendString(dq, 6, q.QueryType)
		req = appendBytes(req, 3, dq)
	}
	reply, err := h.invoke("/pluginv2.Data/QueryData", req)
	if err != nil {
		return nil, err
	}
	fields, err := parseFields(reply)
	if err != nil {
		return nil, err
	}
	// QueryDataResponse: responses 1 = map<string, DataResponse>.
	responses := map[string]interface{}{}
	for _, entry := range fields {
		if entry.num != 1 {
			continue
		}
		kv, err := parseFields(entry.bytes)
		if err != nil {
			return nil, err
		}
		var refID string
		var value []byte
		for _, f := range kv {
			if f.num == 1 {
				refID = string(f.bytes)
			} else if f.num == 2 {
				value = f.bytes
			}
		}
		// DataResponse: frames 1 (repeated bytes), error 2, status 4, errorSource 5.
		df, err := parseFields(value)
		if err != nil {
			return nil, err
		}
		frames := []string{}
		out := map[string]interface{}{"error": "", "status": 0, "errorSource": ""}
		for _, f := range df {
			switch f.num {
			case 1:
				frames = append(frames, base64.StdEncoding.EncodeToString(f.bytes))
			case 2:
				out["error"] = string(f.bytes)
			case 4:
				out["status"] = int32(f.varint)
			case 5:
				out["errorSource"] = string(f.bytes)
			}
		}
		out["frames"] = frames
		responses[refID] = out
	}
	return map[string]interface{}{"responses": responses}, nil
}

func (h *host) resource(c command) (interface{}, error) {
	// CallResourceRequest: pluginContext 1, path 2, method 3, url 4, headers 5 (map<string, StringList>), body 6.
	req := appendBytes(nil, 1, pluginContext(c.Settings, c.Role))
	req = appendString(req, 2, c.Path)
	method := c.Method
	if method == "" {
		method = "GET"
	}
	req = appendString(req, 3, method)
	url := c.URL
	if url == "" {
		url = c.Path
	}
	req = appendString(req, 4, url)
	keys := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req = appendMapEntry(req, 5, k, appendString(nil, 1, c.Headers[k]))
	}
	if c.Body != "" {
		req = appendBytes(req, 6, []byte(c.Body))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stream, err := h.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/pluginv2.Resource/CallResource", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(&req); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	out := map[string]interface{}{"code": 0, "headers": map[string][]string{}, "messages": 0}
	var body bytes.Buffer
	headers := map[string][]string{}
	messages := 0
	for {
		var reply []byte
		err := stream.RecvMsg(&reply)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		messages++
		fields, err := parseFields(reply)
		if err != nil {
			return nil, err
		}
		// CallResourceResponse: code 1, headers 2 (map<string, StringList{values 1}>), body 3.
		for _, f := range fields {
			switch f.num {
			case 1:
				out["code"] = int32(f.varint)
			case 2:
				kv, _ := parseFields(f.bytes)
				var key string
				var values []string
				for _, e := range kv {
					if e.num == 1 {
						key = string(e.bytes)
					} else if e.num == 2 {
						list, _ := parseFields(e.bytes)
						for _, v := range list {
							if v.num == 1 {
								values = append(values, string(v.bytes))
							}
						}
					}
				}
				headers[key] = values
			case 3:
				body.Write(f.bytes)
			}
		}
	}
	out["headers"] = headers
	out["body"] = body.String()
	out["messages"] = messages
	return out, nil
}

func (h *host) metrics(c command) (interface{}, error) {
	// CollectMetricsRequest: pluginContext 1. CollectMetricsResponse: metrics 1 { prometheus 1 }.
	reply, err := h.invoke("/pluginv2.Diagnostics/CollectMetrics", appendBytes(nil, 1, pluginContext(c.Settings, c.Role)))
	if err != nil {
		return nil, err
	}
	fields, err := parseFields(reply)
	if err != nil {
		return nil, err
	}
	text := ""
	for _, f := range fields {
		if f.num == 1 {
			inner, _ := parseFields(f.bytes)
			for _, g := range inner {
				if g.num == 1 {
					text = string(g.bytes)
				}
			}
		}
	}
	return map[string]interface{}{"prometheus": text}, nil
}

func (h *host) health(c command) (interface{}, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := grpc_health_v1.NewHealthClient(h.conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: c.Service})
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"status": res.Status.String()}, nil
}

// stdio opens plugin.GRPCStdio/StreamStdio and reports whether it is still open, and silent, after a moment.
func (h *host) stdio(c command) (interface{}, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := h.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/plugin.GRPCStdio/StreamStdio", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return nil, err
	}
	empty := []byte{}
	if err := stream.SendMsg(&empty); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	got := make(chan error, 1)
	go func() {
		var reply []byte
		got <- stream.RecvMsg(&reply)
	}()
	select {
	case err := <-got:
		return map[string]interface{}{"open": false, "error": fmt.Sprint(err)}, nil
	case <-time.After(300 * time.Millisecond):
		return map[string]interface{}{"open": true}, nil
	}
}

func (h *host) kill(c command) (interface{}, error) {
	start := time.Now()
	h.client.Kill()
	return map[string]interface{}{"exited": h.client.Exited(), "ms": time.Since(start).Milliseconds(), "extraStdout": h.stdout.String()}, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func reply(out *json.Encoder, value interface{}, err error) {
	if err != nil {
		code := ""
		if st, ok := status.FromError(err); ok {
			code = st.Code().String()
		}
		out.Encode(map[string]interface{}{"ok": false, "error": err.Error(), "code": code})
		return
	}
	out.Encode(map[string]interface{}{"ok": true, "result": value})
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: harness <plugin executable> [args...]  (commands as JSON lines on stdin)")
		os.Exit(2)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	stdout := &syncBuffer{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  2,
			MagicCookieKey:   "grafana_plugin_type",
			MagicCookieValue: "datasource",
		},
		Plugins:          map[string]plugin.Plugin{"datasource": datasourcePlugin{}},
		Cmd:              exec.Command(os.Args[1], os.Args[2:]...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		SyncStdout:       stdout,
		StartTimeout:     30 * time.Second,
	})
	out := json.NewEncoder(os.Stdout)
	started := time.Now()
	rpc, err := client.Client()
	if err != nil {
		reply(out, nil, fmt.Errorf("starting the plugin: %w", err))
		client.Kill()
		os.Exit(1)
	}
	raw, err := rpc.Dispense("datasource")
	if err != nil {
		reply(out, nil, err)
		client.Kill()
		os.Exit(1)
	}
	h := &host{client: client, conn: raw.(*grpc.ClientConn), stdout: stdout}
	pingErr := rpc.Ping()
	reply(out, map[string]interface{}{
		"protocolVersion": client.NegotiatedVersion(),
		"protocol":        string(client.Protocol()),
		"startMs":         time.Since(started).Milliseconds(),
		"ping":            pingErr == nil,
	}, nil)

	handlers := map[string]func(command) (interface{}, error){
		"check-health": h.checkHealth,
		"query":        h.query,
		"resource":     h.resource,
		"metrics":      h.metrics,
		"health":       h.health,
		"stdio":        h.stdio,
		"kill":         h.kill,
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	for scanner.Scan() {
		var c command
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			reply(out, nil, fmt.Errorf("bad command: %w", err))
			continue
		}
		handler, ok := handlers[c.Cmd]
		if !ok {
			reply(out, nil, fmt.Errorf("unknown command %q", c.Cmd))
			continue
		}
		value, err := handler(c)
		reply(out, value, err)
		if c.Cmd == "kill" {
			return
		}
	}
	client.Kill()
}
