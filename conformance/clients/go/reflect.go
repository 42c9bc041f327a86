package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	compat "linker.local/linker/conformance/v1"
)

// reflectionService is the reflection API grpc-go 1.33 has a client for.
const reflectionService = "grpc.reflection.v1alpha.ServerReflection"

// reflectAndCall does what grpcurl does, using none of the compiled linker.v1
// types: it lists the services by server reflection, loads the descriptors of
// the method's service by reflection, builds the request from JSON as a
// dynamic message, calls the method and prints the response as JSON. The
// credential (added by authorize) goes on the call only, not on reflection.
func reflectAndCall(conn *grpc.ClientConn, in *compat.ReflectInstruction, authorize func(context.Context) context.Context) *compat.ReflectOutcome {
	out := &compat.ReflectOutcome{ReflectionService: reflectionService}
	failure := func(format string, args ...interface{}) *compat.ReflectOutcome {
		out.Result = &compat.ReflectOutcome_Failure{Failure: fmt.Sprintf(format, args...)}
		return out
	}
	rpcFailure := func(prefix string, err error) *compat.ReflectOutcome {
		rpcErr := rpcErrorOf(err)
		rpcErr.Message = prefix + rpcErr.Message
		out.Result = &compat.ReflectOutcome_Error{Error: rpcErr}
		return out
	}
	timeout := defaultCallTimeout
	if in.TimeoutMs > 0 {
		timeout = time.Duration(in.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	serviceName, methodName, ok := splitMethod(in.Method)
	if !ok {
		return failure("method %q is not package.Service/Method", in.Method)
	}
	r, err := openReflection(ctx, conn)
	if err != nil {
		return rpcFailure("reflection: ", err)
	}
	defer r.close()
	out.Services, err = r.listServices()
	if err != nil {
		return rpcFailure("reflection: ", err)
	}
	if !contains(out.Services, serviceName) {
		return failure("the hub does not list %s (it lists %s)", serviceName, strings.Join(out.Services, ", "))
	}
	files, err := r.filesDefining(serviceName)
	if err != nil {
		if _, isStatus := status.FromError(err); isStatus {
			return rpcFailure("reflection: ", err)
		}
		return failure("descriptors of %s: %v", serviceName, err)
	}
	desc, err := files.FindDescriptorByName(protoreflect.FullName(serviceName))
	if err != nil {
		return failure("the reflected files do not define %s", serviceName)
	}
	service, isService := desc.(protoreflect.ServiceDescriptor)
	if !isService {
		return failure("%s is not a service", serviceName)
	}
	method := service.Methods().ByName(protoreflect.Name(methodName))
	if method == nil {
		return failure("%s has no method %s", serviceName, methodName)
	}
	if method.IsStreamingClient() || method.IsStreamingServer() {
		return failure("%s is a streaming method", in.Method)
	}
	out.InputType = string(method.Input().FullName())
	out.OutputType = string(method.Output().FullName())

	types := reflectedTypes{files}
	request := dynamicpb.NewMessage(method.Input())
	if err := (protojson.UnmarshalOptions{Resolver: types}).Unmarshal([]byte(in.RequestJson), request); err != nil {
		return failure("the JSON is not a %s: %v", out.InputType, err)
	}
	response := dynamicpb.NewMessage(method.Output())
	if err := conn.Invoke(authorize(ctx), "/"+serviceName+"/"+methodName, request, response); err != nil {
		return rpcFailure("", err)
	}
	text, err := protojson.MarshalOptions{Resolver: types}.Marshal(response)
	if err != nil {
		return failure("cannot print the %s as JSON: %v", out.OutputType, err)
	}
	out.Result = &compat.ReflectOutcome_ResponseJson{ResponseJson: string(text)}
	return out
}

// splitMethod splits "package.Service/Method" (a leading "/" is allowed).
func splitMethod(path string) (service, method string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func contains(list []string, want string) bool {
	for _, item := range list {
		if item == want {
			return true
		}
	}
	return false
}

// reflection is one ServerReflectionInfo stream, used request by request.
type reflection struct {
	stream rpb.ServerReflection_ServerReflectionInfoClient
}

func openReflection(ctx context.Context, conn *grpc.ClientConn) (*reflection, error) {
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	return &reflection{stream}, nil
}

func (r *reflection) close() { _ = r.stream.CloseSend() }

// ask sends one request and reads its answer; an error_response becomes a status error.
func (r *reflection) ask(req *rpb.ServerReflectionRequest) (*rpb.ServerReflectionResponse, error) {
	if err := r.stream.Send(req); err != nil {
		_, err = r.stream.Recv() // the stream's own status explains a failed send
		return nil, err
	}
	resp, err := r.stream.Recv()
	if err != nil {
		return nil, err
	}
	if e := resp.GetErrorResponse(); e != nil {
		return nil, status.Error(codes.Code(e.ErrorCode), e.ErrorMessage)
	}
	return resp, nil
}

func (r *reflection) listServices() ([]string, error) {
	resp, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, service := range resp.GetListServicesResponse().GetService() {
		names = append(names, service.Name)
	}
	return names, nil
}

// filesDefining loads the file that defines symbol and everything it imports:
// what the hub sends with it, then any import still missing by file name.
func (r *reflection) filesDefining(symbol string) (*protoregistry.Files, error) {
	protos := map[string]*descriptorpb.FileDescriptorProto{}
	add := func(resp *rpb.ServerReflectionResponse) error {
		for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			file := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(raw, file); err != nil {
				return fmt.Errorf("a reflected file descriptor does not parse: %v", err)
			}
			if _, seen := protos[file.GetName()]; !seen {
				protos[file.GetName()] = file
			}
		}
		return nil
	}
	resp, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: symbol}})
	if err != nil {
		return nil, err
	}
	if err := add(resp); err != nil {
		return nil, err
	}
	for {
		missing := ""
		for _, file := range protos {
			for _, dependency := range file.GetDependency() {
				if _, ok := protos[dependency]; !ok {
					missing = dependency
				}
			}
		}
		if missing == "" {
			break
		}
		resp, err := r.ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: missing}})
		if err != nil {
			return nil, err
		}
		if err := add(resp); err != nil {
			return nil, err
		}
		if _, ok := protos[missing]; !ok {
			return nil, fmt.Errorf("asked for %s, the hub sent other files", missing)
		}
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, file := range protos {
		set.File = append(set.File, file)
	}
	return protodesc.NewFiles(set)
}

// reflectedTypes resolves message and extension types (for Any and the
// well-known types in JSON) from the reflected files only.
type reflectedTypes struct{ files *protoregistry.Files }

func (t reflectedTypes) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	desc, err := t.files.FindDescriptorByName(name)
	if err != nil {
		return nil, protoregistry.NotFound
	}
	message, ok := desc.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, protoregistry.NotFound
	}
	return dynamicpb.NewMessageType(message), nil
}

func (t reflectedTypes) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	return t.FindMessageByName(protoreflect.FullName(url[strings.LastIndex(url, "/")+1:]))
}

func (t reflectedTypes) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	desc, err := t.files.FindDescriptorByName(name)
	if err != nil {
		return nil, protoregistry.NotFound
	}
	extension, ok := desc.(protoreflect.ExtensionDescriptor)
	if !ok {
		return nil, protoregistry.NotFound
	}
	return dynamicpb.NewExtensionType(extension), nil
}

func (t reflectedTypes) FindExtensionByNumber(protoreflect.FullName, protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}
