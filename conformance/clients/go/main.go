// The Go client under test.
//
// It reads ClientCompatRequests from stdin and writes one ClientCompatResponse
// per request to stdout, both size-delimited (a 4-byte big-endian length, then
// the bytes). Calls go through the LinkerService client that `buf generate`
// produced with protoc-gen-go and protoc-gen-go-grpc, over Debian's grpc-go.
// It keeps each agent's session token from its Register response and sends it
// as a Bearer header; it checks nothing itself. Logs go to stderr.
//
// Build with conformance/clients/go/build.sh (GOPATH mode, offline).
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"google.golang.org/protobuf/proto"
	compat "linker.local/linker/conformance/v1"
)

// maxFrameBytes guards against reading garbage as a length.
const maxFrameBytes = 64 << 20

// readFrame reads one size-delimited frame; io.EOF at a clean end of input.
func readFrame(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("stdin ended inside a frame")
		}
		return nil, err
	}
	length := binary.BigEndian.Uint32(header[:])
	if length > maxFrameBytes {
		return nil, fmt.Errorf("frame of %d bytes is over the limit", length)
	}
	data := make([]byte, length)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, errors.New("stdin ended inside a frame")
	}
	return data, nil
}

// writeFrame writes one size-delimited frame and flushes it.
func writeFrame(w *bufio.Writer, data []byte) error {
	var header [4]byte
	binary.BigEndian.PutUint32(header[:], uint32(len(data)))
	if _, err := w.Write(header[:]); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Flush()
}

func main() {
	log.SetPrefix("go client: ")
	stdin := bufio.NewReader(os.Stdin)
	stdout := bufio.NewWriter(os.Stdout)
	executor := newExecutor()
	defer executor.close()
	for {
		frame, err := readFrame(stdin)
		if err == io.EOF {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		req := &compat.ClientCompatRequest{}
		if err := proto.Unmarshal(frame, req); err != nil {
			log.Fatalf("not a ClientCompatRequest: %v", err)
		}
		resp := executor.execute(req)
		resp.TestName = req.TestName
		out, err := proto.Marshal(resp)
		if err != nil {
			log.Fatal(err)
		}
		if err := writeFrame(stdout, out); err != nil {
			log.Fatal(err)
		}
	}
}
