package main

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	compat "linker.local/linker/conformance/v1"
	linkerv1 "linker.local/linker/v1"
)

// defaultCallTimeout is the deadline of a call whose instruction gives none.
const defaultCallTimeout = 10 * time.Second

// linkerService describes linker.v1.LinkerService, to look methods up by name.
var linkerService = linkerv1.File_linker_v1_linker_service_proto.Services().ByName("LinkerService")

// harnessError is an instruction the client cannot carry out (reported as harness_error).
type harnessError struct{ text string }

func (e harnessError) Error() string { return e.text }

func harnessf(format string, args ...interface{}) error {
	return harnessError{fmt.Sprintf(format, args...)}
}

// rpcErrorOf turns a gRPC error into the harness's RpcError, details included.
func rpcErrorOf(err error) *compat.RpcError {
	st := status.Convert(err)
	return &compat.RpcError{
		Code:    compat.Code(st.Code()),
		Message: st.Message(),
		Details: st.Proto().GetDetails(),
	}
}

// executor carries out instructions with the generated LinkerService client.
type executor struct {
	conns   map[string]*grpc.ClientConn
	tokens  sync.Map // agent -> session token
	calls   map[string]chan *compat.CallOutcome
	streams map[string]*stream
}

func newExecutor() *executor {
	return &executor{
		conns:   map[string]*grpc.ClientConn{},
		calls:   map[string]chan *compat.CallOutcome{},
		streams: map[string]*stream{},
	}
}

// conn is the (shared) connection to the hub the request names; gRPC only.
func (e *executor) conn(req *compat.ClientCompatRequest) (*grpc.ClientConn, error) {
	if p := req.Protocol; p != compat.Protocol_PROTOCOL_UNSPECIFIED && p != compat.Protocol_PROTOCOL_GRPC {
		return nil, harnessf("the Go client speaks gRPC only, not %s", p)
	}
	return e.dial(req.HubUrl)
}

func (e *executor) dial(hubURL string) (*grpc.ClientConn, error) {
	target := hubURL
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
	}
	target = strings.TrimRight(target, "/")
	if conn, ok := e.conns[target]; ok {
		return conn, nil
	}
	conn, err := grpc.Dial(target, grpc.WithInsecure())
	if err != nil {
		return nil, harnessf("cannot dial %s: %v", target, err)
	}
	e.conns[target] = conn
	return conn, nil
}

// withAuth adds the credential the instruction selects to ctx.
func (e *executor) withAuth(ctx context.Context, agent string, auth compat.Auth, token string) context.Context {
	value := ""
	switch auth {
	case compat.Auth_AUTH_NONE:
	case compat.Auth_AUTH_TOKEN:
		value = token
	default:
		if stored, ok := e.tokens.Load(agent); ok {
			value = stored.(string)
		}
	}
	if value == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+value)
}

// startCall starts a unary call and returns a channel that yields its outcome.
func (e *executor) startCall(req *compat.ClientCompatRequest, in *compat.CallInstruction) (chan *compat.CallOutcome, error) {
	method := linkerService.Methods().ByName(protoreflect.Name(in.Method))
	if method == nil || method.IsStreamingClient() || method.IsStreamingServer() {
		return nil, harnessf("%q is not a unary LinkerService method", in.Method)
	}
	if in.Request == nil {
		return nil, harnessf("call without a request")
	}
	request, err := in.Request.UnmarshalNew()
	if err != nil {
		return nil, harnessf("cannot unpack the request: %v", err)
	}
	if request.ProtoReflect().Descriptor() != method.Input() {
		return nil, harnessf("request is %s, not %s", in.Request.TypeUrl, method.Input().FullName())
	}
	conn, err := e.conn(req)
	if err != nil {
		return nil, err
	}
	// The generated client's method of the same name, e.g. client.Send(ctx, req).
	client := reflect.ValueOf(linkerv1.NewLinkerServiceClient(conn))
	fn := client.MethodByName(string(method.Name()))
	if !fn.IsValid() {
		return nil, harnessf("the generated client has no method %s", method.Name())
	}
	timeout := defaultCallTimeout
	if in.TimeoutMs > 0 {
		timeout = time.Duration(in.TimeoutMs) * time.Millisecond
	}
	done := make(chan *compat.CallOutcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(e.withAuth(context.Background(), in.Agent, in.Auth, in.Token), timeout)
		defer cancel()
		results := fn.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(request)})
		if err, _ := results[1].Interface().(error); err != nil {
			done <- &compat.CallOutcome{Result: &compat.CallOutcome_Error{Error: rpcErrorOf(err)}}
			return
		}
		response := results[0].Interface().(proto.Message)
		if registered, ok := response.(*linkerv1.RegisterResponse); ok {
			e.tokens.Store(in.Agent, registered.SessionToken)
		}
		packed, err := anypb.New(response)
		if err != nil {
			done <- &compat.CallOutcome{Result: &compat.CallOutcome_Error{Error: rpcErrorOf(status.Error(codes.Internal, err.Error()))}}
			return
		}
		done <- &compat.CallOutcome{Result: &compat.CallOutcome_Response{Response: packed}}
	}()
	return done, nil
}

// stream is a Subscribe call read by a goroutine into a buffer.
type stream struct {
	mu       sync.Mutex
	items    []*linkerv1.SubscribeResponse
	ended    bool
	err      *compat.RpcError
	changed  chan struct{} // closed and replaced on every change
	cancel   context.CancelFunc
	canceled bool
	done     chan struct{}
}

func (s *stream) update(change func()) {
	s.mu.Lock()
	change()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *stream) pump(call linkerv1.LinkerService_SubscribeClient) {
	defer close(s.done)
	for {
		item, err := call.Recv()
		if err != nil {
			s.update(func() {
				s.ended = true
				if !s.canceled && err != io.EOF {
					s.err = rpcErrorOf(err)
				}
			})
			return
		}
		s.update(func() { s.items = append(s.items, item) })
	}
}

// read waits for the instruction's condition, then takes every buffered item.
func (s *stream) read(in *compat.ReadStreamInstruction) *compat.StreamItems {
	deadline := time.NewTimer(time.Duration(in.TimeoutMs) * time.Millisecond)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ready := s.ended || (in.MinItems > 0 && len(s.items) >= int(in.MinItems))
		if !ready && in.UntilCaughtUp {
			for _, item := range s.items {
				if item.GetCaughtUp() != nil {
					ready = true
					break
				}
			}
		}
		changed := s.changed
		if !ready {
			s.mu.Unlock()
			select {
			case <-changed:
				continue
			case <-deadline.C:
				s.mu.Lock()
			}
		}
		out := &compat.StreamItems{Items: s.items, Ended: s.ended, Error: s.err}
		s.items = nil
		s.mu.Unlock()
		return out
	}
}

func (s *stream) close() {
	s.mu.Lock()
	s.canceled = true
	s.mu.Unlock()
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

func (e *executor) openStream(req *compat.ClientCompatRequest, in *compat.OpenStreamInstruction) error {
	if _, ok := e.streams[in.Handle]; ok {
		return harnessf("stream handle %q is in use", in.Handle)
	}
	conn, err := e.conn(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(e.withAuth(context.Background(), in.Agent, in.Auth, in.Token))
	s := &stream{changed: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	request := in.Request
	if request == nil {
		request = &linkerv1.SubscribeRequest{}
	}
	call, err := linkerv1.NewLinkerServiceClient(conn).Subscribe(ctx, request)
	if err != nil {
		// grpc-go reports most failures on the first Recv; keep this one for the next read.
		s.ended, s.err = true, rpcErrorOf(err)
		close(s.done)
	} else {
		go s.pump(call)
	}
	e.streams[in.Handle] = s
	return nil
}

// accepted is the answer to an instruction that has no result of its own.
func accepted() *compat.ClientCompatResponse {
	return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_Accepted{Accepted: &compat.Accepted{}}}
}

func (e *executor) perform(req *compat.ClientCompatRequest) (*compat.ClientCompatResponse, error) {
	switch in := req.Instruction.(type) {
	case *compat.ClientCompatRequest_Call:
		done, err := e.startCall(req, in.Call)
		if err != nil {
			return nil, err
		}
		if in.Call.Handle == "" {
			return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_Outcome{Outcome: <-done}}, nil
		}
		if _, ok := e.calls[in.Call.Handle]; ok {
			return nil, harnessf("handle %q is in use", in.Call.Handle)
		}
		e.calls[in.Call.Handle] = done
		return accepted(), nil
	case *compat.ClientCompatRequest_AwaitCall:
		done, ok := e.calls[in.AwaitCall.Handle]
		if !ok {
			return nil, harnessf("no call has handle %q", in.AwaitCall.Handle)
		}
		delete(e.calls, in.AwaitCall.Handle)
		return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_Outcome{Outcome: <-done}}, nil
	case *compat.ClientCompatRequest_OpenStream:
		if err := e.openStream(req, in.OpenStream); err != nil {
			return nil, err
		}
		return accepted(), nil
	case *compat.ClientCompatRequest_ReadStream:
		s, ok := e.streams[in.ReadStream.Handle]
		if !ok {
			return nil, harnessf("no stream has handle %q", in.ReadStream.Handle)
		}
		return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_StreamItems{StreamItems: s.read(in.ReadStream)}}, nil
	case *compat.ClientCompatRequest_CloseStream:
		s, ok := e.streams[in.CloseStream.Handle]
		if !ok {
			return nil, harnessf("no stream has handle %q", in.CloseStream.Handle)
		}
		delete(e.streams, in.CloseStream.Handle)
		s.close()
		return accepted(), nil
	case *compat.ClientCompatRequest_StreamCall:
		outcome, err := e.streamCall(req, in.StreamCall)
		if err != nil {
			return nil, err
		}
		return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_StreamOutcome{StreamOutcome: outcome}}, nil
	case *compat.ClientCompatRequest_Reflect:
		conn, err := e.dial(req.HubUrl)
		if err != nil {
			return nil, err
		}
		authorize := func(ctx context.Context) context.Context {
			return e.withAuth(ctx, in.Reflect.Agent, in.Reflect.Auth, in.Reflect.Token)
		}
		return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_Reflection{Reflection: reflectAndCall(conn, in.Reflect, authorize)}}, nil
	default:
		return nil, harnessf("the request carries no instruction")
	}
}

// execute performs one instruction; failures to carry it out become harness_error.
func (e *executor) execute(req *compat.ClientCompatRequest) *compat.ClientCompatResponse {
	resp, err := e.perform(req)
	if err != nil {
		return &compat.ClientCompatResponse{Result: &compat.ClientCompatResponse_HarnessError{HarnessError: err.Error()}}
	}
	return resp
}

// close cancels open streams and waits for started calls.
func (e *executor) close() {
	for _, s := range e.streams {
		s.close()
	}
	for _, done := range e.calls {
		<-done
	}
	for _, conn := range e.conns {
		conn.Close()
	}
}
