package main

import (
	"context"
	"io"
	"reflect"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	compat "linker.local/linker/conformance/v1"
	linkerv1 "linker.local/linker/v1"
)

// streamCall calls a LinkerService method that takes a stream of requests
// (Publish) through the generated client: it sends every request from a
// goroutine, half-closes (CloseSend), and collects every response until the
// server ends the call.
func (e *executor) streamCall(req *compat.ClientCompatRequest, in *compat.StreamCallInstruction) (*compat.StreamCallOutcome, error) {
	method := linkerService.Methods().ByName(protoreflect.Name(in.Method))
	if method == nil || !method.IsStreamingClient() {
		return nil, harnessf("%q is not a LinkerService method that takes a stream of requests", in.Method)
	}
	requests := make([]reflect.Value, 0, len(in.Requests))
	for i, packed := range in.Requests {
		request, err := packed.UnmarshalNew()
		if err != nil {
			return nil, harnessf("cannot unpack request %d: %v", i+1, err)
		}
		if request.ProtoReflect().Descriptor() != method.Input() {
			return nil, harnessf("request %d is %s, not %s", i+1, packed.TypeUrl, method.Input().FullName())
		}
		requests = append(requests, reflect.ValueOf(request))
	}
	conn, err := e.conn(req)
	if err != nil {
		return nil, err
	}
	// The generated client's method, e.g. client.Publish(ctx), gives a stream with Send, Recv and CloseSend.
	fn := reflect.ValueOf(linkerv1.NewLinkerServiceClient(conn)).MethodByName(string(method.Name()))
	if !fn.IsValid() {
		return nil, harnessf("the generated client has no method %s", method.Name())
	}
	timeout := defaultCallTimeout
	if in.TimeoutMs > 0 {
		timeout = time.Duration(in.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(e.withAuth(context.Background(), in.Agent, in.Auth, in.Token), timeout)
	defer cancel()
	outcome := &compat.StreamCallOutcome{}
	fail := func(err error) (*compat.StreamCallOutcome, error) {
		outcome.Error = rpcErrorOf(err)
		return outcome, nil
	}
	results := fn.Call([]reflect.Value{reflect.ValueOf(ctx)})
	if err, _ := results[1].Interface().(error); err != nil {
		return fail(err)
	}
	stream := results[0]
	keep := func(response proto.Message) error {
		packed, err := anypb.New(response)
		if err == nil {
			outcome.Responses = append(outcome.Responses, packed)
		}
		return err
	}
	if !method.IsStreamingServer() {
		for _, request := range requests {
			if err, _ := stream.MethodByName("Send").Call([]reflect.Value{request})[0].Interface().(error); err != nil {
				break // the reason comes with CloseAndRecv
			}
		}
		answer := stream.MethodByName("CloseAndRecv").Call(nil)
		if err, _ := answer[1].Interface().(error); err != nil {
			return fail(err)
		}
		if err := keep(answer[0].Interface().(proto.Message)); err != nil {
			return nil, harnessf("cannot pack the response: %v", err)
		}
		return outcome, nil
	}
	go func() {
		for _, request := range requests {
			if err, _ := stream.MethodByName("Send").Call([]reflect.Value{request})[0].Interface().(error); err != nil {
				return // the stream broke; Recv reports why
			}
		}
		stream.MethodByName("CloseSend").Call(nil)
	}()
	recv := stream.MethodByName("Recv")
	for {
		answer := recv.Call(nil)
		if err, _ := answer[1].Interface().(error); err != nil {
			if err == io.EOF {
				return outcome, nil
			}
			return fail(err)
		}
		if err := keep(answer[0].Interface().(proto.Message)); err != nil {
			return nil, harnessf("cannot pack a response: %v", err)
		}
	}
}
