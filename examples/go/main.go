// Command example is a small stack-cfo client a Go team can copy: it checks the server's health,
// creates a chat session, streams one SendMessage answer to its end, and shows how to read the
// error details every stack-cfo error carries (google.rpc.ErrorInfo and BadRequest) with
// status.FromError.
//
//	go mod tidy   # once: resolves the indirect requirements and writes go.sum (needs the module proxy)
//	go run . -addr 127.0.0.1:50051 -user 7f6c2b0e-4a51-4f0e-9d8e-2f1f3c0b5a11 -token "$(stack-cfo token --user ...)"
//
// No go.sum is committed (this repository's CI has no module proxy; it builds with GO111MODULE=off against
// Debian's packaged modules): without `go mod tidy` module mode stops at "missing go.sum entry".
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	cfov1 "github.com/stack-cfo/stack-cfo/gen/go/stack/cfo/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:50051", "server address (host:port)")
	user := flag.String("user", "", "user id (UUID) the token was minted for")
	token := flag.String("token", os.Getenv("STACK_CFO_TOKEN"), "bearer token (default $STACK_CFO_TOKEN)")
	question := flag.String("question", "How is my portfolio doing this week?", "what to ask")
	flag.Parse()
	if *user == "" || *token == "" {
		log.Fatal("-user and -token are required")
	}
	if err := run(*addr, *user, *token, *question); err != nil {
		log.Fatal(err)
	}
}

func run(addr, user, token, question string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Local server without TLS; use credentials.NewTLS in production.
	conn, err := grpc.DialContext(ctx, addr, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()

	// 1. Health: the same check a Kubernetes readiness probe makes.
	health, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "readiness"})
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	fmt.Printf("health: readiness %s\n", health.GetStatus())

	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	chat := cfov1.NewChatServiceClient(conn)

	// 2. A session, then one message whose answer streams in as deltas until the completed event.
	// Each intent gets one request_id, made once and sent again on every retry of that intent: a
	// retried CreateSession returns the same session, a retried SendMessage replays the stored answer
	// (replayed=true) instead of paying the AI provider again.
	session, err := chat.CreateSession(ctx, &cfov1.CreateSessionRequest{
		Parent:    "users/" + user,
		Session:   &cfov1.Session{Title: "Example client"},
		RequestId: newRequestID(),
	})
	if err != nil {
		return describe("CreateSession", err)
	}
	fmt.Printf("session: %s\n", session.GetName())

	stream, err := chat.SendMessage(ctx, &cfov1.SendMessageRequest{
		Name: session.GetName(), Content: question, RequestId: newRequestID(),
	})
	if err != nil {
		return describe("SendMessage", err)
	}
	var deltas int
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return describe("SendMessage stream", err)
		}
		switch e := ev.GetEvent().(type) {
		case *cfov1.SendMessageResponse_Accepted:
			fmt.Printf("accepted: message %s\n", e.Accepted.GetUserMessageId())
		case *cfov1.SendMessageResponse_Delta:
			deltas++
		case *cfov1.SendMessageResponse_Completed:
			c := e.Completed
			fmt.Printf("completed: %d deltas, %d characters, degraded=%v (%s), provider %s\n",
				deltas, len(c.GetAssistantMessage().GetContent()), c.GetDegraded(),
				c.GetAssistantMessage().GetDegradedReason(), c.GetProvider())
		}
	}

	// 3. Errors carry details: a session without a title is INVALID_ARGUMENT with an ErrorInfo
	// (the reason to switch on) and a BadRequest naming the field.
	_, err = chat.CreateSession(ctx, &cfov1.CreateSessionRequest{Parent: "users/" + user, Session: &cfov1.Session{}})
	if err == nil {
		return errors.New("a session without a title was accepted")
	}
	return expectInvalidArgument(err)
}

func expectInvalidArgument(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return fmt.Errorf("want INVALID_ARGUMENT, got %v", err)
	}
	fmt.Printf("error: %s: %s\n", st.Code(), st.Message())
	printDetails(st)
	return nil
}

// describe turns a failed call into an error that includes the stack-cfo reason.
func describe(call string, err error) error {
	if st, ok := status.FromError(err); ok {
		printDetails(st)
		return fmt.Errorf("%s: %s: %s", call, st.Code(), st.Message())
	}
	return fmt.Errorf("%s: %w", call, err)
}

// newRequestID is a random UUID (version 4), the form request_id takes.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func printDetails(st *status.Status) {
	for _, d := range st.Details() {
		switch info := d.(type) {
		case *errdetails.ErrorInfo:
			fmt.Printf("  ErrorInfo: reason=%s domain=%s metadata=%v\n", info.GetReason(), info.GetDomain(), info.GetMetadata())
		case *errdetails.BadRequest:
			for _, v := range info.GetFieldViolations() {
				fmt.Printf("  BadRequest: %s: %s\n", v.GetField(), v.GetDescription())
			}
		case *errdetails.RetryInfo:
			// Delays are often under a second (0.946 s): read the whole duration, not its seconds.
			fmt.Printf("  RetryInfo: retry after %s\n", info.GetRetryDelay().AsDuration())
		}
	}
}
