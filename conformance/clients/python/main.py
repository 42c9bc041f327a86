"""The Python client under test.

Reads ClientCompatRequests from stdin and writes one ClientCompatResponse per
request to stdout, both size-delimited (4-byte big-endian length, then the
bytes). Calls go through the stubs `buf generate` produced with protoc's
Python output and grpc_python_plugin, over Debian's python3-grpcio; `reflect`
uses none of them (see reflection.py). It keeps each agent's session token
from its Register response and sends it as a Bearer header; it checks
nothing itself.

Usage: /usr/bin/python3 conformance/clients/python/main.py
"""

import os
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "gen", "python"))

import grpc  # noqa: E402
from google.protobuf import any_pb2  # noqa: E402

from linker.conformance.v1 import client_compat_pb2 as compat  # noqa: E402
from linker.v1 import linker_service_pb2, linker_service_pb2_grpc  # noqa: E402
from reflection import reflect_and_call  # noqa: E402

DEFAULT_CALL_TIMEOUT_MS = 10_000
SERVICE = linker_service_pb2.DESCRIPTOR.services_by_name["LinkerService"]


class HarnessError(Exception):
    """An instruction the adapter cannot carry out (reported as harness_error)."""


def read_exactly(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            if data:
                raise EOFError("stdin ended inside a frame")
            return None
        data += chunk
    return data


def read_frame(stream):
    header = read_exactly(stream, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    if length == 0:
        return b""
    data = read_exactly(stream, length)
    if data is None:
        raise EOFError("stdin ended inside a frame")
    return data


def write_frame(stream, data):
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def rpc_error_of(err):
    """The RpcError for a grpc.RpcError, with details from grpc-status-details-bin."""
    error = compat.RpcError(code=err.code().value[0], message=err.details() or "")
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = compat.RpcStatus()
            status.ParseFromString(value)
            error.details.extend(status.details)
    return error


class Stream:
    """A Subscribe call read by a background thread into a buffer."""

    def __init__(self, call):
        self.call = call
        self.items = []
        self.ended = False
        self.error = None
        self.canceled = False
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self.pump, daemon=True)
        self.thread.start()

    def pump(self):
        try:
            for item in self.call:
                with self.changed:
                    self.items.append(item)
                    self.changed.notify_all()
        except grpc.RpcError as err:
            if not self.canceled:
                self.error = rpc_error_of(err)
        finally:
            with self.changed:
                self.ended = True
                self.changed.notify_all()

    def read(self, min_items, until_caught_up, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        with self.changed:
            while not (
                self.ended
                or (min_items > 0 and len(self.items) >= min_items)
                or (until_caught_up and any(i.WhichOneof("item") == "caught_up" for i in self.items))
            ):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)
            items, self.items = self.items, []
            return compat.StreamItems(items=items, ended=self.ended, error=self.error)

    def close(self):
        self.canceled = True
        self.call.cancel()
        self.thread.join(timeout=5)


class Executor:
    """Carries out instructions with the generated LinkerService stub."""

    def __init__(self):
        self.channels = {}
        self.tokens = {}
        self.calls = {}
        self.streams = {}

    def channel(self, hub_url):
        target = hub_url.split("://", 1)[-1].rstrip("/")
        if target not in self.channels:
            self.channels[target] = grpc.insecure_channel(target)
        return self.channels[target]

    def stub(self, req):
        if req.protocol not in (compat.PROTOCOL_UNSPECIFIED, compat.PROTOCOL_GRPC):
            raise HarnessError("the Python client speaks gRPC only")
        return linker_service_pb2_grpc.LinkerServiceStub(self.channel(req.hub_url))

    def metadata(self, agent, auth, token):
        value = None if auth == compat.AUTH_NONE else token if auth == compat.AUTH_TOKEN else self.tokens.get(agent)
        return [("authorization", "Bearer " + value)] if value else []

    def call(self, req, instruction):
        method = SERVICE.methods_by_name.get(instruction.method)
        if method is None or method.client_streaming or method.server_streaming:
            raise HarnessError('"%s" is not a unary LinkerService method' % instruction.method)
        request = getattr(linker_service_pb2, method.input_type.name)()
        if not instruction.request.Unpack(request):
            raise HarnessError("request is %s, not %s" % (instruction.request.type_url, method.input_type.full_name))
        future = getattr(self.stub(req), method.name).future(
            request,
            metadata=self.metadata(instruction.agent, instruction.auth, instruction.token),
            timeout=(instruction.timeout_ms or DEFAULT_CALL_TIMEOUT_MS) / 1000,
        )
        return lambda: self.outcome(future, instruction.agent, method.name)

    def outcome(self, future, agent, method_name):
        try:
            response = future.result()
        except grpc.RpcError as err:
            return compat.CallOutcome(error=rpc_error_of(err))
        if method_name == "Register":
            self.tokens[agent] = response.session_token
        packed = any_pb2.Any()
        packed.Pack(response)
        return compat.CallOutcome(response=packed)

    def stream_call(self, req, instruction):
        """Sends every request, half-closes (the iterator ends) and collects every response."""
        method = SERVICE.methods_by_name.get(instruction.method)
        if method is None or not method.client_streaming:
            raise HarnessError('"%s" is not a LinkerService method that takes a stream of requests' % instruction.method)
        requests = []
        for i, packed in enumerate(instruction.requests):
            request = getattr(linker_service_pb2, method.input_type.name)()
            if not packed.Unpack(request):
                raise HarnessError("request %d is %s, not %s" % (i + 1, packed.type_url, method.input_type.full_name))
            requests.append(request)
        call = getattr(self.stub(req), method.name)
        options = dict(
            metadata=self.metadata(instruction.agent, instruction.auth, instruction.token),
            timeout=(instruction.timeout_ms or DEFAULT_CALL_TIMEOUT_MS) / 1000,
        )
        outcome = compat.StreamCallOutcome()
        try:
            if method.server_streaming:
                for response in call(iter(requests), **options):
                    outcome.responses.add().Pack(response)
            else:
                outcome.responses.add().Pack(call(iter(requests), **options))
        except grpc.RpcError as err:
            outcome.error.CopyFrom(rpc_error_of(err))
        return outcome

    def execute(self, req):
        kind = req.WhichOneof("instruction")
        if kind == "call":
            finish = self.call(req, req.call)
            if not req.call.handle:
                return compat.ClientCompatResponse(outcome=finish())
            if req.call.handle in self.calls:
                raise HarnessError('handle "%s" is in use' % req.call.handle)
            self.calls[req.call.handle] = finish
            return compat.ClientCompatResponse(accepted=compat.Accepted())
        if kind == "await_call":
            finish = self.calls.pop(req.await_call.handle, None)
            if finish is None:
                raise HarnessError('no call has handle "%s"' % req.await_call.handle)
            return compat.ClientCompatResponse(outcome=finish())
        if kind == "open_stream":
            open_stream = req.open_stream
            if open_stream.handle in self.streams:
                raise HarnessError('stream handle "%s" is in use' % open_stream.handle)
            call = self.stub(req).Subscribe(
                open_stream.request, metadata=self.metadata(open_stream.agent, open_stream.auth, open_stream.token)
            )
            self.streams[open_stream.handle] = Stream(call)
            return compat.ClientCompatResponse(accepted=compat.Accepted())
        if kind == "read_stream":
            stream = self.streams.get(req.read_stream.handle)
            if stream is None:
                raise HarnessError('no stream has handle "%s"' % req.read_stream.handle)
            read = req.read_stream
            return compat.ClientCompatResponse(stream_items=stream.read(read.min_items, read.until_caught_up, read.timeout_ms))
        if kind == "close_stream":
            stream = self.streams.pop(req.close_stream.handle, None)
            if stream is None:
                raise HarnessError('no stream has handle "%s"' % req.close_stream.handle)
            stream.close()
            return compat.ClientCompatResponse(accepted=compat.Accepted())
        if kind == "stream_call":
            return compat.ClientCompatResponse(stream_outcome=self.stream_call(req, req.stream_call))
        if kind == "reflect":
            reflect = req.reflect
            metadata = self.metadata(reflect.agent, reflect.auth, reflect.token)
            return compat.ClientCompatResponse(reflection=reflect_and_call(self.channel(req.hub_url), reflect, metadata, rpc_error_of))
        raise HarnessError("the request carries no instruction")


def main():
    executor = Executor()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        frame = read_frame(stdin)
        if frame is None:
            break
        req = compat.ClientCompatRequest()
        req.ParseFromString(frame)
        try:
            response = executor.execute(req)
        except HarnessError as err:
            response = compat.ClientCompatResponse(harness_error=str(err))
        response.test_name = req.test_name
        write_frame(stdout, response.SerializeToString())
    for stream in executor.streams.values():
        stream.close()


if __name__ == "__main__":
    main()
