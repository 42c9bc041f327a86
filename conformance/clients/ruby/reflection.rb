# The Ruby client's `reflect` instruction: what grpcurl does, without stubs.
#
# It lists the hub's services by gRPC server reflection (grpc.reflection.v1,
# messages generated from third_party/ by `buf generate`; ruby-grpc has no
# reflection client), loads the descriptors of the method's service by
# reflection into a fresh DescriptorPool, builds the request from JSON with
# message classes from that pool, calls the method by path with a generic
# GRPC::ClientStub and prints the response as JSON. None of the compiled
# linker.v1 classes are used: ruby-google-protobuf 3.21 has no service
# descriptors, so the service and its methods are read from the reflected
# FileDescriptorProtos.

require 'grpc'
require 'google/protobuf'
require 'google/protobuf/descriptor_pb'
require 'linker/conformance/v1/client_compat_pb'
require 'grpc/reflection/v1/reflection_pb'

module LinkerConformance
  module Reflection
    Compat = Linker::Conformance::V1
    V1 = Grpc::Reflection::V1
    SERVICE = 'grpc.reflection.v1.ServerReflection'.freeze
    DEFAULT_TIMEOUT_MS = 10_000

    # The call cannot be prepared from what reflection gave (reported as `failure`).
    class Failure < StandardError; end

    # The hub answered a reflection request with an error_response.
    class ErrorResponse < StandardError
      attr_reader :code

      def initialize(code, message)
        super(message)
        @code = code
      end
    end

    # One ServerReflectionInfo stream, used one request at a time.
    class Stream
      def initialize(stub, deadline)
        @requests = Queue.new
        @responses = Queue.new
        outgoing = Enumerator.new do |y|
          while (request = @requests.pop) != :done
            y << request
          end
        end
        @operation = stub.bidi_streamer("/#{SERVICE}/ServerReflectionInfo", outgoing,
                                        V1::ServerReflectionRequest.method(:encode),
                                        V1::ServerReflectionResponse.method(:decode),
                                        deadline: deadline, return_op: true)
        @reader = Thread.new do
          @operation.execute.each { |response| @responses << response }
          @responses << :ended
        rescue StandardError => e
          @responses << e
        end
      end

      def ask(**query)
        @requests << V1::ServerReflectionRequest.new(**query)
        response = @responses.pop
        raise response if response.is_a?(Exception)
        raise ErrorResponse.new(GRPC::Core::StatusCodes::UNKNOWN, 'the reflection stream ended early') if response == :ended

        if response.message_response == :error_response
          raise ErrorResponse.new(response.error_response.error_code, response.error_response.error_message)
        end

        response
      end

      def close
        @requests << :done
        @operation.cancel
        @reader.join(5)
      end
    end

    # The file defining symbol and everything it imports, imports first.
    def self.files_defining(stream, symbol)
      files = {}
      add = lambda do |response|
        unless response.message_response == :file_descriptor_response
          raise Failure, "the hub answered #{response.message_response}, not file descriptors"
        end

        response.file_descriptor_response.file_descriptor_proto.each do |raw|
          file = Google::Protobuf::FileDescriptorProto.decode(raw)
          files[file.name] ||= file
        end
      end
      add.call(stream.ask(file_containing_symbol: symbol))
      loop do
        missing = files.values.flat_map { |file| file.dependency.to_a }.find { |name| !files.key?(name) }
        break if missing.nil?

        add.call(stream.ask(file_by_filename: missing))
        raise Failure, "asked for #{missing}, the hub sent other files" unless files.key?(missing)
      end
      ordered = []
      seen = {}
      visit = lambda do |file|
        next if seen[file.name]

        seen[file.name] = true
        file.dependency.each { |name| visit.call(files[name]) }
        ordered << file
      end
      files.each_value { |file| visit.call(file) }
      ordered
    end

    # The ServiceDescriptorProto named full_name in the files, if any.
    def self.find_service(files, full_name)
      files.each do |file|
        file.service.each do |service|
          return service if [file.package, service.name].reject(&:empty?).join('.') == full_name
        end
      end
      nil
    end

    # Carries out a ReflectInstruction with a generic GRPC::ClientStub; returns a ReflectOutcome.
    def self.reflect_and_call(stub, instruction, metadata)
      outcome = Compat::ReflectOutcome.new(reflection_service: SERVICE)
      timeout_ms = instruction.timeout_ms.positive? ? instruction.timeout_ms : DEFAULT_TIMEOUT_MS
      deadline = Time.now + timeout_ms / 1000.0
      stage = 'reflection: '
      stream = Stream.new(stub, deadline)
      begin
        parts = instruction['method'].delete_prefix('/').split('/', -1)
        raise Failure, "method \"#{instruction['method']}\" is not package.Service/Method" unless parts.size == 2 && parts.none?(&:empty?)

        service_name, method_name = parts
        listed = stream.ask(list_services: '*')
        outcome.services.concat(listed.list_services_response.service.map(&:name))
        unless outcome.services.include?(service_name)
          raise Failure, "the hub does not list #{service_name} (it lists #{outcome.services.to_a.join(', ')})"
        end

        files = files_defining(stream, service_name)
        pool = Google::Protobuf::DescriptorPool.new
        begin
          files.each { |file| pool.add_serialized_file(Google::Protobuf::FileDescriptorProto.encode(file)) }
        rescue StandardError => e
          raise Failure, "the reflected descriptors do not load: #{e.message}"
        end
        service = find_service(files, service_name)
        raise Failure, "the reflected files do not define #{service_name}" if service.nil?

        method = service['method'].find { |m| m.name == method_name } # not .method, which is Object#method
        raise Failure, "#{service_name} has no method #{method_name}" if method.nil?
        raise Failure, "#{instruction['method']} is a streaming method" if method.client_streaming || method.server_streaming

        outcome.input_type = method.input_type.delete_prefix('.')
        outcome.output_type = method.output_type.delete_prefix('.')
        input = pool.lookup(outcome.input_type)&.msgclass
        output = pool.lookup(outcome.output_type)&.msgclass
        raise Failure, "the reflected files do not define #{outcome.input_type} and #{outcome.output_type}" if input.nil? || output.nil?

        begin
          request = input.decode_json(instruction.request_json)
        rescue Google::Protobuf::ParseError => e
          raise Failure, "the JSON is not a #{outcome.input_type}: #{e.message}"
        end
        stage = ''
        response = stub.request_response("/#{service_name}/#{method_name}", request, input.method(:encode), output.method(:decode),
                                         metadata: metadata, deadline: deadline)
        outcome.response_json = output.encode_json(response)
      rescue Failure => e
        outcome.failure = e.message
      rescue ErrorResponse => e
        outcome.error = Compat::RpcError.new(code: e.code, message: stage + e.message)
      rescue GRPC::BadStatus => e
        error = LinkerConformance.rpc_error_of(e)
        error.message = stage + error.message
        outcome.error = error
      ensure
        stream.close
      end
      outcome
    end
  end
end
