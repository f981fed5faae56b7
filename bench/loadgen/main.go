// Command loadgen drives one unary gRPC method as hard as it can and prints what it measured as
// JSON: the load generator of bench/workers.py. Written in Go so the client costs a small part of
// the server's CPU per call (a Python client costs about as much as the server, and on a 2-core
// machine it would take the core a second worker needs). Requests and responses are raw bytes
// (a pass-through codec): no generated code, no (de)serialisation cost on the client.
//
// Each of -conns connections is its own TCP connection, so the kernel's SO_REUSEPORT balancing
// spreads them over the server's workers; -concurrency callers share them round-robin.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
)

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = data
	return nil
}
func (rawCodec) Name() string { return "raw" }

type result struct {
	Calls      int     `json:"calls"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func main() {
	target := flag.String("target", "127.0.0.1:50051", "host:port")
	method := flag.String("method", "", "full method, /package.Service/Method")
	reqHex := flag.String("request", "", "request body, hex")
	token := flag.String("token", "", "bearer token")
	conns := flag.Int("conns", 8, "connections")
	concurrency := flag.Int("concurrency", 64, "concurrent callers")
	duration := flag.Duration("duration", 5*time.Second, "how long to load")
	warmup := flag.Duration("warmup", time.Second, "load before measuring")
	flag.Parse()
	encoding.RegisterCodec(rawCodec{})
	body, err := hex.DecodeString(*reqHex)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad -request:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	if *token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+*token)
	}
	clients := make([]*grpc.ClientConn, *conns)
	for i := range clients {
		clients[i], err = grpc.Dial(*target, grpc.WithInsecure(),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		defer clients[i].Close()
	}
	run := func(d time.Duration, record bool) result {
		var mu sync.Mutex
		var wg sync.WaitGroup
		var lat []time.Duration
		res := result{}
		cpu0 := cpuSeconds()
		start := time.Now()
		stop := start.Add(d)
		for w := 0; w < *concurrency; w++ {
			wg.Add(1)
			go func(cc *grpc.ClientConn) {
				defer wg.Done()
				mine := make([]time.Duration, 0, 4096)
				errs, first := 0, ""
				for time.Now().Before(stop) {
					t := time.Now()
					var out []byte
					in := body
					if err := cc.Invoke(ctx, *method, &in, &out); err != nil {
						errs++
						if first == "" {
							first = err.Error()
						}
						continue
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				res.Errors += errs
				if res.FirstError == "" {
					res.FirstError = first
				}
				mu.Unlock()
			}(clients[w%len(clients)])
		}
		wg.Wait()
		res.Seconds = time.Since(start).Seconds()
		res.CPUSeconds = cpuSeconds() - cpu0
		res.Calls = len(lat)
		if record && len(lat) > 0 {
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			res.P50Ms = float64(lat[len(lat)/2].Microseconds()) / 1e3
			res.P99Ms = float64(lat[len(lat)*99/100].Microseconds()) / 1e3
		}
		return res
	}
	run(*warmup, false)
	out, _ := json.Marshal(run(*duration, true))
	fmt.Println(string(out))
}
