// Command watchclient holds many server-streaming gRPC calls open and records when each message
// arrived: the watcher side of bench/watches.py. Written in Go so that on a 2-core machine the
// watchers cost a small part of the CPU the server needs to push 10,000 updates (Python grpc.aio
// clients cost about as much per message as the server, and took the core it needed). Requests
// and messages are raw bytes (a pass-through codec): no generated code, no parsing on the client.
//
// Protocol (the same as the Python client it replaces): one JSON line on stdin,
//
//	{"target": "host:port", "method": "/pkg.Service/Method", "per_connection": 1, "bdp": false,
//	 "streams": [["<request hex>", "<authorization value>"], ...]}
//
// then, on stdout, {"round": k, "count": n} once every stream got message k (0 = the first one),
// {"error": "..."} when a stream failed. A line "done" on stdin ends the streams; the last line is
// {"arrivals": {"k": [seconds, ...]}, "size": median size of message 0, "errors": [...],
// "reconnects": n, "cpu_seconds": s}. Arrival times are CLOCK_MONOTONIC seconds, the clock of
// Python's time.monotonic(), so the bench subtracts the instant it fired a round.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = data
	return nil
}
func (rawCodec) Name() string { return "raw" }

type config struct {
	Target        string      `json:"target"`
	Method        string      `json:"method"`
	PerConnection int         `json:"per_connection"`
	BDP           bool        `json:"bdp"`
	Streams       [][2]string `json:"streams"`
}

var (
	outMu sync.Mutex
	out   = bufio.NewWriter(os.Stdout)
)

func emit(v interface{}) {
	line, _ := json.Marshal(v)
	outMu.Lock()
	out.Write(line)
	out.WriteByte('\n')
	out.Flush()
	outMu.Unlock()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func main() {
	encoding.RegisterCodec(rawCodec{})
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	first, err := in.ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "no config on stdin:", err)
		os.Exit(2)
	}
	var cfg config
	if err := json.Unmarshal([]byte(first), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bad config:", err)
		os.Exit(2)
	}
	// Monotonic seconds now = mono0 + time.Since(t0): one clock_gettime, then Go's own clock.
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		fmt.Fprintln(os.Stderr, "clock_gettime:", err)
		os.Exit(1)
	}
	t0 := time.Now()
	mono0 := float64(ts.Sec) + float64(ts.Nsec)/1e9
	monotonic := func() float64 { return mono0 + time.Since(t0).Seconds() }

	n := len(cfg.Streams)
	per := cfg.PerConnection
	if per < 1 {
		per = 1
	}
	// Small buffers: 10,000 connections of the default 32 KiB read + 32 KiB write would take
	// 640 MiB of the machine's memory for nothing (the updates are a few KiB).
	options := []grpc.DialOption{grpc.WithInsecure(), grpc.WithReadBufferSize(8 << 10),
		grpc.WithWriteBufferSize(4 << 10),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20))}
	if !cfg.BDP {
		// Fixed flow-control windows turn grpc-go's BDP estimation off: no PING for the server
		// to answer after every burst of data on every connection.
		options = append(options, grpc.WithInitialWindowSize(1<<20), grpc.WithInitialConnWindowSize(1<<20))
	}
	conns := make([]*grpc.ClientConn, (n+per-1)/per)
	for i := range conns {
		conns[i], err = grpc.Dial(cfg.Target, options...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
	}
	desc := &grpc.StreamDesc{StreamName: "watch", ServerStreams: true}
	ctx, cancel := context.WithCancel(context.Background())

	var mu sync.Mutex
	received := map[int]int{}
	arrivals := map[int][]float64{}
	var sizes []int
	var errs []string
	reconnects := 0
	stopping := false

	one := func(i int, request []byte, auth string) {
		k := 0
		md := metadata.AppendToOutgoingContext(ctx, "authorization", auth)
		for {
			stream, err := conns[i/per].NewStream(md, desc, cfg.Method)
			if err == nil {
				req := request
				err = stream.SendMsg(&req)
			}
			if err == nil {
				err = stream.CloseSend()
			}
			for err == nil {
				var msg []byte
				if err = stream.RecvMsg(&msg); err != nil {
					break
				}
				now := monotonic()
				mu.Lock()
				if k == 0 {
					sizes = append(sizes, len(msg))
				} else {
					arrivals[k] = append(arrivals[k], now)
				}
				received[k]++
				done := received[k] == n
				mu.Unlock()
				if done {
					emit(map[string]int{"round": k, "count": n})
				}
				k++
			}
			mu.Lock()
			if stopping {
				mu.Unlock()
				return
			}
			code := status.Code(err)
			if k == 0 && (code == codes.Canceled || code == codes.Unavailable) {
				// A stream reset while thousands of connections open at once (grpc's HTTP/2
				// transport does this now and then, on the bare server too): reconnect, as a
				// phone would. Counted and reported.
				reconnects++
				mu.Unlock()
				time.Sleep(200 * time.Millisecond)
				continue
			}
			var e string
			if s, ok := status.FromError(err); ok && err != nil && code != codes.OK {
				e = fmt.Sprintf("%s: %s after %d messages", strings.ToUpper(codeName(s.Code())), s.Message(), k)
			} else {
				e = fmt.Sprintf("stream %d ended after %d messages", i, k)
			}
			errs = append(errs, e)
			mu.Unlock()
			emit(map[string]string{"error": e})
			return
		}
	}

	var wg sync.WaitGroup
	for i, s := range cfg.Streams {
		request, err := hex.DecodeString(s[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad request hex:", err)
			os.Exit(2)
		}
		wg.Add(1)
		go func(i int, request []byte, auth string) {
			defer wg.Done()
			one(i, request, auth)
		}(i, request, s[1])
	}

	in.ReadString('\n') // the parent says "done" (or closed stdin)
	mu.Lock()
	stopping = true
	mu.Unlock()
	cancel()
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	size := 0
	if len(sizes) > 0 {
		sort.Ints(sizes)
		size = sizes[len(sizes)/2]
	}
	if len(errs) > 5 {
		errs = errs[:5]
	}
	keyed := map[string][]float64{}
	for k, v := range arrivals {
		keyed[fmt.Sprint(k)] = v
	}
	emit(map[string]interface{}{"arrivals": keyed, "size": size, "errors": errs, "reconnects": reconnects,
		"cpu_seconds": cpuSeconds()})
}

// codeName spells a status code as grpc's Python StatusCode names do (UNAVAILABLE, not Unavailable).
func codeName(c codes.Code) string {
	names := map[codes.Code]string{
		codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN", codes.InvalidArgument: "INVALID_ARGUMENT",
		codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.NotFound: "NOT_FOUND",
		codes.AlreadyExists: "ALREADY_EXISTS", codes.PermissionDenied: "PERMISSION_DENIED",
		codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.FailedPrecondition: "FAILED_PRECONDITION",
		codes.Aborted: "ABORTED", codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
		codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
		codes.Unauthenticated: "UNAUTHENTICATED",
	}
	if name, ok := names[c]; ok {
		return name
	}
	return c.String()
}
