"""The Python client's `reflect` instruction: what grpcurl does, without stubs.

It lists the hub's services by gRPC server reflection (grpc.reflection.v1, the
messages generated from third_party/ by `buf generate`; Debian has no
grpcio-reflection), loads the descriptors of the method's service by
reflection into a fresh descriptor pool, builds the request from JSON with
message classes made from that pool, calls the method with
`channel.unary_unary` and prints the response as JSON. None of the compiled
linker.v1 modules are used.
"""

import importlib.util
import os
import queue
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from linker.conformance.v1 import client_compat_pb2 as compat

# gen/python/grpc/... cannot be imported as a package: the `grpc` library owns that name.
_REFLECTION_FILE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "gen", "python", "grpc", "reflection", "v1", "reflection_pb2.py"
)
_spec = importlib.util.spec_from_file_location("linker_gen_grpc_reflection_v1_pb2", _REFLECTION_FILE)
reflection_pb2 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reflection_pb2)

REFLECTION_SERVICE = "grpc.reflection.v1.ServerReflection"
DEFAULT_TIMEOUT_MS = 10_000


class ReflectionFailure(Exception):
    """The call cannot be prepared from what reflection gave (reported as `failure`)."""


class ReflectionErrorResponse(Exception):
    """The hub answered a reflection request with an error_response."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class ReflectionStream:
    """One ServerReflectionInfo stream, used one request at a time."""

    def __init__(self, channel, timeout):
        self.requests = queue.Queue()
        info = channel.stream_stream(
            "/%s/ServerReflectionInfo" % REFLECTION_SERVICE,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        self.call = info(iter(self.requests.get, None), timeout=timeout)

    def ask(self, **query):
        self.requests.put(reflection_pb2.ServerReflectionRequest(**query))
        try:
            response = next(self.call)
        except StopIteration:
            raise ReflectionErrorResponse(grpc.StatusCode.UNKNOWN.value[0], "the reflection stream ended early")
        if response.WhichOneof("message_response") == "error_response":
            raise ReflectionErrorResponse(response.error_response.error_code, response.error_response.error_message)
        return response

    def close(self):
        self.requests.put(None)
        self.call.cancel()


def files_defining(stream, symbol):
    """The file defining `symbol` and all it imports, imports first."""
    files = {}

    def add(response):
        if response.WhichOneof("message_response") != "file_descriptor_response":
            raise ReflectionFailure("the hub answered %s, not file descriptors" % response.WhichOneof("message_response"))
        for raw in response.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files.setdefault(file.name, file)

    add(stream.ask(file_containing_symbol=symbol))
    while True:
        missing = next((name for file in files.values() for name in file.dependency if name not in files), None)
        if missing is None:
            break
        add(stream.ask(file_by_filename=missing))
        if missing not in files:
            raise ReflectionFailure("asked for %s, the hub sent other files" % missing)
    ordered, seen = [], set()

    def visit(file):
        if file.name in seen:
            return
        seen.add(file.name)
        for name in file.dependency:
            visit(files[name])
        ordered.append(file)

    for file in files.values():
        visit(file)
    return ordered


def reflect_and_call(channel, instruction, metadata, rpc_error_of):
    """Carries out a ReflectInstruction; returns a ReflectOutcome."""
    outcome = compat.ReflectOutcome(reflection_service=REFLECTION_SERVICE)
    deadline = time.monotonic() + (instruction.timeout_ms or DEFAULT_TIMEOUT_MS) / 1000
    stage = "reflection: "
    stream = ReflectionStream(channel, deadline - time.monotonic())
    try:
        parts = instruction.method.lstrip("/").split("/")
        if len(parts) != 2 or not all(parts):
            raise ReflectionFailure('method "%s" is not package.Service/Method' % instruction.method)
        service_name, method_name = parts
        listed = stream.ask(list_services="*")
        outcome.services.extend(service.name for service in listed.list_services_response.service)
        if service_name not in outcome.services:
            raise ReflectionFailure("the hub does not list %s (it lists %s)" % (service_name, ", ".join(outcome.services)))
        pool = descriptor_pool.DescriptorPool()
        try:
            for file in files_defining(stream, service_name):
                pool.AddSerializedFile(file.SerializeToString())
            service = pool.FindServiceByName(service_name)
        except (TypeError, KeyError) as err:
            raise ReflectionFailure("the reflected descriptors do not load: %s" % err)
        method = service.methods_by_name.get(method_name)
        if method is None:
            raise ReflectionFailure("%s has no method %s" % (service_name, method_name))
        if method.client_streaming or method.server_streaming:
            raise ReflectionFailure("%s is a streaming method" % instruction.method)
        outcome.input_type = method.input_type.full_name
        outcome.output_type = method.output_type.full_name
        factory = message_factory.MessageFactory(pool)
        request_class = factory.GetPrototype(method.input_type)
        response_class = factory.GetPrototype(method.output_type)
        try:
            request = json_format.Parse(instruction.request_json, request_class(), descriptor_pool=pool)
        except json_format.ParseError as err:
            raise ReflectionFailure("the JSON is not a %s: %s" % (outcome.input_type, err))
        stage = ""
        call = channel.unary_unary(
            "/%s/%s" % (service_name, method_name),
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        response = call(request, metadata=metadata, timeout=max(0.001, deadline - time.monotonic()))
        outcome.response_json = json_format.MessageToJson(response, descriptor_pool=pool)
    except ReflectionFailure as err:
        outcome.failure = str(err)
    except ReflectionErrorResponse as err:
        outcome.error.CopyFrom(compat.RpcError(code=err.code, message=stage + err.message))
    except grpc.RpcError as err:
        error = rpc_error_of(err)
        error.message = stage + error.message
        outcome.error.CopyFrom(error)
    finally:
        stream.close()
    return outcome
