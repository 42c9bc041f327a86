# The Ruby client under test.
#
# Reads ClientCompatRequests from stdin and writes one ClientCompatResponse per
# request to stdout, both size-delimited (a 4-byte big-endian length, then the
# bytes). Calls go through the LinkerService stub `buf generate` produced with
# protoc's Ruby output and grpc_ruby_plugin, over Debian's ruby-grpc;
# `reflect` uses none of them (see reflection.rb). It keeps each agent's
# session token from its Register response and sends it as a Bearer header; it
# checks nothing itself. Logs go to stderr.
#
# Usage: ruby conformance/clients/ruby/main.rb

$LOAD_PATH.unshift(File.expand_path('../../../gen/ruby', __dir__))
$LOAD_PATH.unshift(__dir__)

require 'grpc'
require 'google/protobuf/well_known_types'
require 'linker/conformance/v1/client_compat_pb'
require 'linker/v1/linker_service_services_pb'
require 'reflection'

module LinkerConformance
  Compat = Linker::Conformance::V1
  LinkerService = Linker::V1::LinkerService
  DEFAULT_CALL_TIMEOUT_MS = 10_000

  # An instruction the client cannot carry out (reported as harness_error).
  class HarnessError < StandardError; end

  # The RpcError for a failed call, with details from grpc-status-details-bin.
  def self.rpc_error_of(err)
    error = Compat::RpcError.new(code: err.code, message: err.details.to_s)
    raw = err.metadata && err.metadata['grpc-status-details-bin']
    error.details.concat(Compat::RpcStatus.decode(raw).details.to_a) if raw
    error
  end

  # A Subscribe call read by a background thread into a buffer.
  class Stream
    def initialize(operation)
      @operation = operation
      @items = []
      @ended = false
      @error = nil
      @canceled = false
      @lock = Mutex.new
      @changed = ConditionVariable.new
      @thread = Thread.new { pump }
    end

    def pump
      @operation.execute.each do |item|
        @lock.synchronize do
          @items << item
          @changed.broadcast
        end
      end
    rescue GRPC::BadStatus => e
      @lock.synchronize { @error = LinkerConformance.rpc_error_of(e) unless @canceled }
    ensure
      @lock.synchronize do
        @ended = true
        @changed.broadcast
      end
    end

    def read(min_items, until_caught_up, timeout_ms)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout_ms / 1000.0
      @lock.synchronize do
        until @ended || (min_items.positive? && @items.size >= min_items) ||
              (until_caught_up && @items.any? { |item| item.item == :caught_up })
          left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
          break if left <= 0

          @changed.wait(@lock, left)
        end
        items = @items
        @items = []
        Compat::StreamItems.new(items: items, ended: @ended, error: @error)
      end
    end

    def close
      @lock.synchronize { @canceled = true }
      @operation.cancel
      @thread.join(5)
    end
  end

  # Carries out instructions with the generated LinkerService stub.
  class Executor
    def initialize
      @stubs = {}
      @generic_stubs = {}
      @tokens = {}
      @tokens_lock = Mutex.new
      @calls = {}
      @streams = {}
    end

    def target_of(hub_url)
      hub_url.split('://', 2).last.chomp('/')
    end

    def stub(req)
      unless [:PROTOCOL_UNSPECIFIED, :PROTOCOL_GRPC].include?(req.protocol)
        raise HarnessError, 'the Ruby client speaks gRPC only'
      end

      target = target_of(req.hub_url)
      @stubs[target] ||= LinkerService::Stub.new(target, :this_channel_is_insecure)
    end

    def metadata(agent, auth, token)
      value = case auth
              when :AUTH_NONE then nil
              when :AUTH_TOKEN then token
              else @tokens_lock.synchronize { @tokens[agent] }
              end
      value.nil? || value.empty? ? {} : { 'authorization' => "Bearer #{value}" }
    end

    # Starts a unary call; returns a thread whose value is the CallOutcome.
    def start_call(req, instruction)
      name = instruction['method'] # not .method, which is Object#method
      desc = LinkerService::Service.rpc_descs[name.to_sym]
      if desc.nil? || desc.client_streamer? || desc.server_streamer? || desc.bidi_streamer?
        raise HarnessError, "\"#{name}\" is not a unary LinkerService method"
      end
      raise HarnessError, 'call without a request' if instruction.request.nil?

      request = instruction.request.unpack(desc.input)
      raise HarnessError, "request is #{instruction.request.type_url}, not #{desc.input.descriptor.name}" if request.nil?

      stub = stub(req)
      md = metadata(instruction.agent, instruction.auth, instruction.token)
      deadline = Time.now + (instruction.timeout_ms.positive? ? instruction.timeout_ms : DEFAULT_CALL_TIMEOUT_MS) / 1000.0
      agent = instruction.agent
      Thread.new do
        # The generated method (register, send, ...); public_send because the stub's `send` shadows Object#send.
        response = stub.public_send(GRPC::GenericService.underscore(name).to_sym, request, metadata: md, deadline: deadline)
        @tokens_lock.synchronize { @tokens[agent] = response.session_token } if name == 'Register'
        Compat::CallOutcome.new(response: Google::Protobuf::Any.pack(response))
      rescue GRPC::BadStatus => e
        Compat::CallOutcome.new(error: LinkerConformance.rpc_error_of(e))
      end
    end

    # Calls a method that takes a stream of requests (Publish): sends every
    # request, half-closes (the enumerator ends) and collects every response.
    def stream_call(req, instruction)
      name = instruction['method']
      desc = LinkerService::Service.rpc_descs[name.to_sym]
      unless desc && (desc.client_streamer? || desc.bidi_streamer?)
        raise HarnessError, "\"#{name}\" is not a LinkerService method that takes a stream of requests"
      end

      input = desc.input.type # a streamed input is wrapped in GRPC::RpcDesc::Stream
      requests = instruction.requests.each_with_index.map do |packed, i|
        request = packed.unpack(input)
        raise HarnessError, "request #{i + 1} is #{packed.type_url}, not #{input.descriptor.name}" if request.nil?

        request
      end
      md = metadata(instruction.agent, instruction.auth, instruction.token)
      deadline = Time.now + (instruction.timeout_ms.positive? ? instruction.timeout_ms : DEFAULT_CALL_TIMEOUT_MS) / 1000.0
      outcome = Compat::StreamCallOutcome.new
      method = GRPC::GenericService.underscore(name).to_sym
      begin
        if desc.bidi_streamer?
          stub(req).public_send(method, requests.each, metadata: md, deadline: deadline).each do |response|
            outcome.responses << Google::Protobuf::Any.pack(response)
          end
        else
          outcome.responses << Google::Protobuf::Any.pack(stub(req).public_send(method, requests.each, metadata: md, deadline: deadline))
        end
      rescue GRPC::BadStatus => e
        outcome.error = LinkerConformance.rpc_error_of(e)
      end
      outcome
    end

    def accepted
      Compat::ClientCompatResponse.new(accepted: Compat::Accepted.new)
    end

    def execute(req)
      case req.instruction
      when :call
        call = req.call
        thread = start_call(req, call)
        return Compat::ClientCompatResponse.new(outcome: thread.value) if call.handle.empty?
        raise HarnessError, "handle \"#{call.handle}\" is in use" if @calls.key?(call.handle)

        @calls[call.handle] = thread
        accepted
      when :await_call
        thread = @calls.delete(req.await_call.handle)
        raise HarnessError, "no call has handle \"#{req.await_call.handle}\"" if thread.nil?

        Compat::ClientCompatResponse.new(outcome: thread.value)
      when :open_stream
        open = req.open_stream
        raise HarnessError, "stream handle \"#{open.handle}\" is in use" if @streams.key?(open.handle)

        request = open.request || Linker::V1::SubscribeRequest.new
        operation = stub(req).subscribe(request, metadata: metadata(open.agent, open.auth, open.token), return_op: true)
        @streams[open.handle] = Stream.new(operation)
        accepted
      when :read_stream
        read = req.read_stream
        stream = @streams[read.handle]
        raise HarnessError, "no stream has handle \"#{read.handle}\"" if stream.nil?

        Compat::ClientCompatResponse.new(stream_items: stream.read(read.min_items, read.until_caught_up, read.timeout_ms))
      when :close_stream
        stream = @streams.delete(req.close_stream.handle)
        raise HarnessError, "no stream has handle \"#{req.close_stream.handle}\"" if stream.nil?

        stream.close
        accepted
      when :stream_call
        Compat::ClientCompatResponse.new(stream_outcome: stream_call(req, req.stream_call))
      when :reflect
        reflect = req.reflect
        target = target_of(req.hub_url)
        generic = (@generic_stubs[target] ||= GRPC::ClientStub.new(target, :this_channel_is_insecure))
        outcome = Reflection.reflect_and_call(generic, reflect, metadata(reflect.agent, reflect.auth, reflect.token))
        Compat::ClientCompatResponse.new(reflection: outcome)
      else
        raise HarnessError, 'the request carries no instruction'
      end
    end

    def close
      @streams.each_value(&:close)
      @calls.each_value(&:join)
    end
  end

  def self.read_exactly(input, count)
    data = input.read(count)
    return nil if data.nil?
    raise EOFError, 'stdin ended inside a frame' if data.bytesize < count

    data
  end

  def self.main
    $stdin.binmode
    $stdout.binmode
    executor = Executor.new
    loop do
      header = read_exactly($stdin, 4)
      break if header.nil?

      length = header.unpack1('N')
      frame = length.zero? ? '' : read_exactly($stdin, length)
      raise EOFError, 'stdin ended inside a frame' if frame.nil?

      req = Compat::ClientCompatRequest.decode(frame)
      response = begin
        executor.execute(req)
      rescue HarnessError => e
        Compat::ClientCompatResponse.new(harness_error: e.message)
      end
      response.test_name = req.test_name
      out = Compat::ClientCompatResponse.encode(response)
      $stdout.write([out.bytesize].pack('N'), out)
      $stdout.flush
    end
    executor.close
  end
end

LinkerConformance.main if $PROGRAM_NAME == __FILE__
